package dev.ggufserve.serving;

import dev.ggufserve.chat.ChatMessage;
import dev.ggufserve.chat.ChatTemplate;
import dev.ggufserve.chat.ChatTemplateException;
import dev.ggufserve.engine.Engine;
import dev.ggufserve.engine.EngineKind;
import dev.ggufserve.engine.Engines;
import dev.ggufserve.engine.StepExecutor;
import dev.ggufserve.gguf.GgufFile;
import dev.ggufserve.gguf.GgufTensor;
import dev.ggufserve.gguf.ModelFileException;
import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.testing.ModelSpec;
import dev.ggufserve.testing.RandomModels;
import dev.ggufserve.tokenizer.Tokenizer;
import dev.ggufserve.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutated and truncated model files go through the whole start-up path (open the file, build the
 * tokenizer, chat template and engine, warm up on a replica, render a chat and encode it): each case
 * either serves or fails with one {@link ModelFileException}; never another exception, an
 * OutOfMemoryError, a JVM crash or a hang. Reproduce a failure with the seed it reports.
 */
class ModelFileFuzzTest {

    /** Cases per base model; the whole test also stops after {@link #TIME_BUDGET_MILLIS}. */
    private static final int CASES_PER_MODEL = 1_000;
    private static final long TIME_BUDGET_MILLIS = 45_000;
    /** At least this many cases must run within the time budget, or the test proves too little. */
    private static final int MINIMUM_CASES = 2_000;
    private static final long CASE_TIMEOUT_MILLIS = 5_000;
    /** Values that break assumptions when written over a 4- or 8-byte field. */
    private static final long[] INTERESTING_VALUES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 31, 32, 64, 255, 256, 0x7fff,
            0xffff, 0x7fffffff, 0x80000000L, 0xffffffffL, 0x100000000L, Long.MAX_VALUE, -1, Long.MIN_VALUE};

    @TempDir
    static Path directory;
    private static ExecutorService caseRunner;

    /** A base model file and where its header (metadata and tensor infos) ends. */
    private record Base(String name, byte[] bytes, int headerEnd) {
    }

    @BeforeAll
    static void startRunner() {
        caseRunner = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "fuzz-case");
            thread.setDaemon(true);
            return thread;
        });
    }

    @AfterAll
    static void stopRunner() {
        caseRunner.shutdownNow();
    }

    @Test
    void everyMutatedModelLoadsOrFailsWithOneModelFileException() throws Exception {
        List<Base> bases = List.of(
                base("random-llama", RandomModels.toBytes(ModelSpec.llama().withVocab(300))),
                base("random-phi3-q4_k", RandomModels.toBytes(ModelSpec.phi3().withSize(256, 256)
                        .withType(GgmlType.Q4_K).withRoleType("output", GgmlType.Q6_K))),
                base("stories260K", Files.readAllBytes(Path.of("src/main/resources/models/stories260K.gguf"))));
        long deadline = System.currentTimeMillis() + TIME_BUDGET_MILLIS;
        int cases = 0;
        int loaded = 0;
        // One example per kind of failure (exception type and where it was thrown), so a run shows them all.
        Map<String, String> failures = new TreeMap<>();
        for (int index = 0; index < CASES_PER_MODEL && System.currentTimeMillis() < deadline; index++) {
            for (Base base : bases) {
                long seed = base.name().hashCode() * 1_000_003L + index;
                try {
                    if (runCase(base, seed)) {
                        loaded++;
                    }
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    StackTraceElement[] where = cause.getStackTrace();
                    failures.putIfAbsent(cause.getClass().getName() + (where.length > 0 ? " at " + where[0] : ""),
                            base.name() + " seed " + seed + ": " + cause);
                }
                cases++;
            }
        }
        System.out.printf("ModelFileFuzzTest: %d cases, %d loaded and served, %d refused%n", cases, loaded,
                cases - loaded - failures.size());
        assertTrue(failures.isEmpty(), "not one clean ModelFileException:\n" + String.join("\n",
                failures.entrySet().stream().map(failure -> failure.getKey() + "\n    " + failure.getValue()).toList()));
        assertTrue(cases >= MINIMUM_CASES, "only " + cases + " cases ran within the time budget");
        assertTrue(loaded > 0 && loaded < cases, "the mutations should both keep and break models: " + loaded);
    }

    /**
     * @return true when the mutated file loaded and served, false when it was refused
     * @throws ExecutionException carrying anything else the start-up path threw
     */
    private static boolean runCase(Base base, long seed) throws IOException, InterruptedException,
            ExecutionException {
        byte[] mutated = mutate(base, new SplittableRandom(seed));
        Path file = Files.write(directory.resolve(base.name() + ".gguf"), mutated);
        Future<Boolean> outcome = caseRunner.submit(() -> startUp(file));
        try {
            return outcome.get(CASE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            outcome.cancel(true);
            throw new AssertionError(base.name() + " seed " + seed + ": start-up took longer than "
                    + CASE_TIMEOUT_MILLIS + " ms");
        }
    }

    /**
     * What {@link ModelService} does at start-up (less the kernel warm-up, which skips models this small), then one
     * chat request's rendering and encoding.
     *
     * @return true when the file serves, false when it was refused with a ModelFileException
     */
    private static boolean startUp(Path file) {
        try (GgufFile model = GgufFile.open(file)) {
            Tokenizer tokenizer = Tokenizers.load(model.metadata(), Optional.empty());
            ChatTemplate chatTemplate = ChatTemplate.forModel(model.metadata(), tokenizer);
            try (Engine engine = Engines.open(model, EngineKind.CPU, 1)) {
                try (StepExecutor executor = engine.newStepExecutor(4, 8,
                        Math.min(engine.trainedContextLength(), 4 * engine.kvPagePositions()))) {
                    WarmUp.run(executor, tokenizer, engine.vocabularySize());
                }
            }
            renderAndEncode(chatTemplate, tokenizer);
            return true;
        } catch (ModelFileException refused) {
            assertTrue(refused.getMessage().startsWith("Model file " + file + ": "), refused.getMessage());
            return false;
        }
    }

    /** A template that cannot render is a 400 per request (not a start-up failure); anything else is a bug. */
    private static void renderAndEncode(ChatTemplate chatTemplate, Tokenizer tokenizer) {
        try {
            String prompt = chatTemplate.render(List.of(new ChatMessage("user", "Hi there")), true);
            tokenizer.encode(prompt, tokenizer.addsBos(), true);
        } catch (ChatTemplateException refusedPerRequest) {
            // Mapped to a 400 naming 'messages' by ErrorResponses.
        }
    }

    /**
     * One of: a few random bytes in the header, an interesting value over an aligned field of the
     * header, a truncation, or a few random bytes anywhere.
     */
    private static byte[] mutate(Base base, SplittableRandom random) {
        byte[] bytes = base.bytes().clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    bytes[random.nextInt(base.headerEnd())] = (byte) random.nextInt(256);
                }
            }
            case 1 -> {
                long value = INTERESTING_VALUES[random.nextInt(INTERESTING_VALUES.length)];
                ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                int offset = 4 * random.nextInt(base.headerEnd() / 4 - 2);
                if (random.nextBoolean()) {
                    buffer.putInt(offset, (int) value);
                } else {
                    buffer.putLong(offset, value);
                }
            }
            case 2 -> {
                int length = random.nextBoolean() ? random.nextInt(base.headerEnd()) : random.nextInt(bytes.length);
                return Arrays.copyOf(bytes, length);
            }
            default -> {
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
        }
        return bytes;
    }

    /** The header ends where the tensor data begins: the file size less every tensor's bytes. */
    private static Base base(String name, byte[] bytes) throws IOException {
        Path file = Files.write(directory.resolve(name + "-original.gguf"), bytes);
        try (GgufFile model = GgufFile.open(file)) {
            long dataBytes = 0;
            for (GgufTensor tensor : model.tensors().values()) {
                dataBytes += tensor.data().byteSize();
            }
            return new Base(name, bytes, (int) (bytes.length - dataBytes));
        }
    }
}
