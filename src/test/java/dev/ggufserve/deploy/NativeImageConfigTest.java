package dev.ggufserve.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jcuda.JCudaVersion;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Executable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the hand-written native-image configuration (src/main/resources/META-INF/native-image/...) against what is
 * on the JVM's class path, so that a renamed class, a JCuda upgrade or a new kernel module breaks this test rather
 * than a native build nobody here can run (docs/NATIVE.md). It proves that the names are right, not that a native
 * executable works.
 */
class NativeImageConfigTest {

    private static final String CONFIG = "META-INF/native-image/dev.ggufserve/gguf-serve/";
    private static final Path MAIN_CLASSES = Path.of("target", "classes");
    private static final Path KERNEL_RESOURCES = Path.of("src", "main", "resources", "cuda");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyJniEntryNamesClassesAndMembersThatExist() throws Exception {
        for (JsonNode entry : config("jni-config.json")) {
            Class<?> type = Class.forName(entry.get("name").asText(), false, getClass().getClassLoader());
            for (JsonNode field : entry.path("fields")) {
                assertNotNull(type.getDeclaredField(field.get("name").asText()));
            }
            for (JsonNode method : entry.path("methods")) {
                List<Class<?>> parameters = new ArrayList<>();
                for (JsonNode parameter : method.get("parameterTypes")) {
                    parameters.add(typeNamed(parameter.asText()));
                }
                Class<?>[] parameterTypes = parameters.toArray(Class<?>[]::new);
                String name = method.get("name").asText();
                Executable executable = name.equals("<init>") ? type.getDeclaredConstructor(parameterTypes)
                        : type.getDeclaredMethod(name, parameterTypes);
                assertNotNull(executable);
            }
        }
    }

    /**
     * JCuda's driver library looks up Java classes by name (JNI FindClass, and field signatures such as
     * "Ljcuda/driver/CUarray;"), most of them in its JNI_OnLoad, which fails as a whole if one is missing. The names
     * are read from the library JCuda would extract and load, so the list follows the JCuda version in the pom.
     */
    @Test
    void everyClassTheJCudaDriverLibraryLooksUpIsRegisteredForJni() throws IOException {
        String library = jcudaDriverLibrary();
        byte[] bytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(library)) {
            assertNotNull(in, library + " is not on the class path");
            bytes = in.readAllBytes();
        }
        Set<String> lookedUp = new TreeSet<>();
        Matcher className = Pattern.compile("(?:jcuda|java)/[A-Za-z0-9_/]+").matcher(new String(bytes,
                StandardCharsets.ISO_8859_1));
        while (className.find()) {
            lookedUp.add(className.group().replace('/', '.'));
        }
        Set<String> registered = new TreeSet<>();
        config("jni-config.json").forEach(entry -> registered.add(entry.get("name").asText()));
        assertTrue(lookedUp.size() > 30, "found only " + lookedUp + " in " + library);
        lookedUp.removeAll(registered);
        assertEquals(Set.of(), lookedUp, "looked up by " + library + " but not in jni-config.json");
    }

    /** What is loaded as a resource in a native executable: the demo model, JCuda's library, every kernel module. */
    @Test
    void resourcePatternsCoverTheModelTheJCudaLibraryAndEveryKernelModule() throws IOException {
        List<Pattern> patterns = new ArrayList<>();
        for (JsonNode include : config("resource-config.json").get("resources").get("includes")) {
            patterns.add(Pattern.compile(include.get("pattern").asText()));
        }
        List<String> needed = new ArrayList<>(List.of("models/stories260K.gguf", jcudaDriverLibrary()));
        try (Stream<Path> kernels = Files.list(KERNEL_RESOURCES)) {
            kernels.filter(file -> file.toString().endsWith(".ptx"))
                    .forEach(file -> needed.add("cuda/" + file.getFileName()));
        }
        assertTrue(needed.size() >= 5, "no kernel modules found in " + KERNEL_RESOURCES);
        for (String resource : needed) {
            assertNotNull(getClass().getClassLoader().getResource(resource), resource + " is not on the class path");
            assertTrue(patterns.stream().anyMatch(pattern -> pattern.matcher(resource).matches()),
                    resource + " matches no pattern of resource-config.json");
        }
    }

    /**
     * native-image.properties turns shared-arena support off (it cannot be combined with the Vector API there), so
     * nothing of the application may create a shared arena: the GGUF mapping uses Arena.ofAuto. Read from the
     * compiled classes, whose constant pools name every method they call.
     */
    @Test
    void noApplicationClassCreatesASharedArena() throws IOException {
        List<Path> offenders = new ArrayList<>();
        try (Stream<Path> classes = Files.walk(MAIN_CLASSES)) {
            for (Path file : classes.filter(path -> path.toString().endsWith(".class")).toList()) {
                if (new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains("ofShared")) {
                    offenders.add(file);
                }
            }
        }
        assertTrue(Files.exists(MAIN_CLASSES.resolve("dev/ggufserve/gguf/GgufFile.class")));
        assertEquals(List.of(), offenders);
        String properties = resource("native-image.properties");
        assertTrue(properties.contains("-H:-SharedArenaSupport"), properties);
        assertFalse(properties.contains("-H:+SharedArenaSupport"), properties);
    }

    /** The resource JCuda's LibUtils extracts and loads: lib/libJCudaDriver-VERSION-linux-x86_64.so (the pom ships
     * the linux-x86_64 natives only). */
    private static String jcudaDriverLibrary() {
        return "lib/libJCudaDriver-" + JCudaVersion.get() + "-linux-x86_64.so";
    }

    private static JsonNode config(String file) throws IOException {
        return JSON.readTree(resource(file));
    }

    private static String resource(String file) throws IOException {
        try (InputStream in = NativeImageConfigTest.class.getClassLoader().getResourceAsStream(CONFIG + file)) {
            assertNotNull(in, CONFIG + file);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Class<?> typeNamed(String name) throws ClassNotFoundException {
        return switch (name) {
            case "int" -> int.class;
            case "long" -> long.class;
            case "float" -> float.class;
            case "double" -> double.class;
            case "boolean" -> boolean.class;
            case "byte" -> byte.class;
            case "short" -> short.class;
            case "char" -> char.class;
            default -> Class.forName(name, false, NativeImageConfigTest.class.getClassLoader());
        };
    }
}
