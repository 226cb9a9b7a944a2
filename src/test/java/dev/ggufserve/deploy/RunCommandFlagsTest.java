package dev.ggufserve.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM flags of README's start command are repeated wherever the server is started: the container images, the
 * deployment guide and the benchmarks (which must time the server as users run it). This checks that every one of
 * those server launches carries all of them, so a flag added to the README cannot be forgotten elsewhere.
 */
class RunCommandFlagsTest {

    /** Every file that starts the server, besides README.md itself. */
    private static final List<String> LAUNCHERS = List.of("src/main/docker/Dockerfile.jvm",
            "src/main/docker/Dockerfile.cuda", "docs/DEPLOYMENT.md", "bench/concurrency.sh", "bench/cpu.sh",
            "bench/load.sh", "bench/startup.sh", "bench/StartupBench.java");
    /** Required by the engine, so present in every launch of the server: counting it counts the launches. */
    private static final String EVERY_LAUNCH = "--enable-native-access=ALL-UNNAMED";
    /** A start command in README.md, line continuations joined: its flags are the group. */
    private static final Pattern README_START = Pattern.compile(
            "java (--add-modules .*?) -jar target/quarkus-app/quarkus-run\\.jar", Pattern.DOTALL);

    /** The flags between {@code java} and {@code -jar} of each of README's start commands, shell quotes removed. */
    private static List<List<String>> readmeStartCommands() throws IOException {
        String readme = Files.readString(Path.of("README.md")).replace("\\\n", " ");
        Matcher start = README_START.matcher(readme);
        List<List<String>> commands = new ArrayList<>();
        while (start.find()) {
            commands.add(Arrays.stream(start.group(1).trim().split("\\s+")).map(token -> token.replace("'", ""))
                    .toList());
        }
        return commands;
    }

    private static int occurrences(String text, String flag) {
        int count = 0;
        for (int at = text.indexOf(flag); at >= 0; at = text.indexOf(flag, at + flag.length())) {
            count++;
        }
        return count;
    }

    @Test
    void theReadmeStartCommandsAgreeAndHaveTheFlagsTheEngineNeeds() throws IOException {
        List<List<String>> commands = readmeStartCommands();
        assertEquals(2, commands.size(), "README.md starts the server twice (demo model, Phi-3 Mini)");
        assertEquals(commands.get(0), commands.get(1));
        assertTrue(commands.get(0).containsAll(List.of("--add-modules", "jdk.incubator.vector", EVERY_LAUNCH)),
                commands.get(0)::toString);
    }

    @Test
    void everyServerLaunchCarriesEveryFlagOfTheReadme() throws IOException {
        List<String> flags = readmeStartCommands().getFirst();
        for (String file : LAUNCHERS) {
            // Maven's own JVM takes the native-access flag too; its lines start no server.
            String text = Files.readAllLines(Path.of(file)).stream().filter(line -> !line.contains("MAVEN_OPTS"))
                    .map(line -> line.replace("'", "")).collect(Collectors.joining("\n"));
            int launches = occurrences(text, EVERY_LAUNCH);
            assertTrue(launches >= 1, file + " starts the server");
            for (String flag : flags) {
                assertTrue(occurrences(text, flag) >= launches, file + " starts the server " + launches
                        + " time(s) but has " + flag + " " + occurrences(text, flag) + " time(s)");
            }
        }
    }
}
