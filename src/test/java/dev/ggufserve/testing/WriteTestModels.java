package dev.ggufserve.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes the {@link RandomModels#standardModels() standard random models} as {@code NAME.gguf} files, so scripts
 * can run the reference tools on them. Prints one line per model: name, SHA-256, size in bytes.
 *
 * <pre>
 * usage: WriteTestModels OUTPUT_DIR [NAME...]   (all models when no names are given)
 *
 * ./mvnw -q test-compile
 * java -cp target/test-classes:target/classes dev.ggufserve.testing.WriteTestModels /tmp/models llama-f32 phi3-q4_k_m
 * </pre>
 */
public final class WriteTestModels {

    private WriteTestModels() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: WriteTestModels OUTPUT_DIR [NAME...]; names: "
                    + RandomModels.standardModels().keySet());
            System.exit(2);
        }
        Path directory = Files.createDirectories(Path.of(args[0]));
        Map<String, ModelSpec> models = RandomModels.standardModels();
        List<String> names = args.length > 1 ? Arrays.asList(args).subList(1, args.length) : List.copyOf(models.keySet());
        for (String name : names) {
            ModelSpec spec = models.get(name);
            if (spec == null) {
                System.err.println("unknown model '" + name + "'; names: " + models.keySet());
                System.exit(2);
            }
            Path file = RandomModels.write(spec, directory.resolve(name + ".gguf"));
            System.out.println(name + " " + RandomModels.sha256(spec) + " " + Files.size(file));
        }
    }
}
