package dev.ggufserve.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.ConfigMappings;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks every Kubernetes and Knative manifest under knative/ and k8s/ against the application itself, so a renamed
 * setting, health path or port breaks this test instead of a deployment.
 *
 * <p>Nothing here lists the valid names: they come from the running application (this is a {@link QuarkusTest},
 * so probe paths are requested from the real HTTP server), from its {@code @ConfigMapping} interfaces (found by
 * scanning the compiled classes, named the way SmallRye Config names them), and from Quarkus's own configuration.
 * Values go through the application's own conversion of each setting to its type.
 * Environment variables that are not application configuration must be read by the container image, so they must
 * appear in the Dockerfile of the image the manifest runs.
 *
 * <p>The YAML is read with jackson-dataformat-yaml, which is on the classpath through Jinjava. It is not declared
 * again in test scope: Maven would then drop it from the runtime classpath Jinjava needs.
 */
@QuarkusTest
class ManifestsTest {

    private static final List<Path> MANIFEST_DIRECTORIES = List.of(Path.of("knative"), Path.of("k8s"));
    private static final Path MAIN_CLASSES = Path.of("target", "classes");
    private static final Path DOCKER_DIRECTORY = Path.of("src", "main", "docker");
    /** Image tags end in the Dockerfile's suffix: dev.local/gguf-serve:0.1.0-jvm is built from Dockerfile.jvm. */
    private static final String IMAGE_NAME = "gguf-serve";

    private static List<Manifest> manifests;
    private static List<Class<?>> configMappings;

    /** One YAML document of one file. */
    record Manifest(Path file, JsonNode document) {
        String kind() {
            return document.path("kind").asText();
        }

        String name() {
            return document.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return file + " (" + kind() + " " + name() + ")";
        }
    }

    @BeforeAll
    static void readManifests() throws IOException {
        manifests = new ArrayList<>();
        YAMLMapper yaml = new YAMLMapper();
        for (Path directory : MANIFEST_DIRECTORIES) {
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                    try (MappingIterator<JsonNode> documents = yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
                        while (documents.hasNext()) {
                            JsonNode document = documents.next();
                            if (document != null && !document.isEmpty()) {
                                manifests.add(new Manifest(file, document));
                            }
                        }
                    }
                }
            }
        }
        configMappings = findConfigMappings();
    }

    @Test
    void everyDirectoryHasManifestsThatRunTheServer() {
        for (Path directory : MANIFEST_DIRECTORIES) {
            assertTrue(servers().stream().anyMatch(server -> server.manifest().file().startsWith(directory)),
                    directory + " has no manifest running the " + IMAGE_NAME + " image");
        }
        assertTrue(manifests.stream().anyMatch(m -> m.kind().equals("Service")
                        && m.document().path("apiVersion").asText().startsWith("serving.knative.dev/")),
                "knative/ has a Knative Service");
        assertFalse(configMappings.isEmpty(), "the application has @ConfigMapping interfaces under " + MAIN_CLASSES);
    }

    @Test
    void environmentVariablesAreSettingsTheApplicationOrImageReads() throws IOException {
        Set<String> applicationVariables = applicationEnvironmentVariables();
        for (Server server : servers()) {
            String dockerfile = Files.readString(dockerfileOf(server));
            for (String variable : server.environment().keySet()) {
                if (variable.startsWith("LLM_") || variable.startsWith("QUARKUS_")) {
                    assertTrue(applicationVariables.contains(variable),
                            server + " sets " + variable + ", which is no configuration property of the application");
                } else {
                    assertTrue(dockerfile.contains(variable), server + " sets " + variable
                            + ", which is neither application configuration nor read by its image (" + dockerfileOf(server) + ")");
                }
            }
        }
    }

    @Test
    void environmentValuesConvertToTheApplicationsConfigTypes() {
        for (Server server : servers()) {
            Map<String, String> literalValues = new LinkedHashMap<>(server.environment());
            literalValues.values().removeIf(value -> value == null);
            for (Class<?> mapping : configMappings) {
                // The mapping the application builds at start-up, fed with only the manifest's variables: a value
                // its type rejects (LLM_ENGINE=gpu, LLM_REPLICAS=two) fails here as it would fail the pod.
                try {
                    SmallRyeConfig config = new SmallRyeConfigBuilder()
                            .withSources(new EnvConfigSource(literalValues, 300))
                            .withMapping(mapping)
                            .build();
                    config.getConfigMapping(mapping);
                } catch (RuntimeException e) {
                    throw new AssertionError(server + ": the application would reject its settings: " + e.getMessage(), e);
                }
            }
        }
    }

    @Test
    void probesRequestPathsTheApplicationServesOnItsPort() {
        for (Server server : servers()) {
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                JsonNode httpGet = server.container().path(probe).path("httpGet");
                assertFalse(httpGet.isMissingNode(), server + " has no " + probe + " over HTTP");
                String path = httpGet.path("path").asText();
                int status = given().get(path).statusCode();
                // 503 is a DOWN health check, which is fine for a path that exists; 404 means no such endpoint.
                assertTrue(status == 200 || status == 503,
                        server + ": " + probe + " requests " + path + ", which answers " + status);
                if (httpGet.has("port")) {
                    assertEquals(server.containerPort(), server.resolvePort(httpGet.path("port")),
                            server + ": " + probe + " port is not the container's HTTP port");
                }
            }
        }
    }

    @Test
    void containerPortIsThePortTheApplicationListensOn() {
        // The default when QUARKUS_HTTP_PORT is not set, as the application's configuration resolves it.
        int defaultPort = ConfigProvider.getConfig().getValue("quarkus.http.port", Integer.class);
        for (Server server : servers()) {
            String configured = server.environment().get("QUARKUS_HTTP_PORT");
            int listening = configured == null ? defaultPort : Integer.parseInt(configured);
            assertEquals(listening, server.containerPort(), server + ": containerPort is not the HTTP port");
        }
    }

    @Test
    void knativeConcurrencyIsWhatOnePodRunsAtOnce() {
        int defaultReplicas = Integer.parseInt(defaultValueOf("LLM_REPLICAS"));
        int defaultMaxBatch = Integer.parseInt(defaultValueOf("LLM_MAX_BATCH"));
        List<Server> knativeServers = servers().stream().filter(Server::isKnative).toList();
        assertFalse(knativeServers.isEmpty(), "no Knative Service runs the server");
        for (Server server : knativeServers) {
            JsonNode template = server.manifest().document().path("spec").path("template");
            String replicasValue = server.environment().get("LLM_REPLICAS");
            String maxBatchValue = server.environment().get("LLM_MAX_BATCH");
            int atOnce = (replicasValue == null ? defaultReplicas : Integer.parseInt(replicasValue))
                    * (maxBatchValue == null ? defaultMaxBatch : Integer.parseInt(maxBatchValue));
            assertEquals(atOnce, template.path("spec").path("containerConcurrency").asInt(-1),
                    server + ": containerConcurrency must equal what the pod generates at once"
                            + " (LLM_REPLICAS x LLM_MAX_BATCH)");

            JsonNode annotations = template.path("metadata").path("annotations");
            assertEquals("kpa.autoscaling.knative.dev", annotations.path("autoscaling.knative.dev/class").asText(),
                    server + ": scale to zero needs Knative's autoscaler (KPA)");
            assertEquals("concurrency", annotations.path("autoscaling.knative.dev/metric").asText(), server.toString());
            assertEquals("0", annotations.path("autoscaling.knative.dev/min-scale").asText(),
                    server + ": min-scale 0 lets the service scale to zero");
            int target = Integer.parseInt(annotations.path("autoscaling.knative.dev/target").asText("0"));
            assertEquals(atOnce, target, server + ": the concurrency target must be what one pod runs at once"
                    + " (LLM_REPLICAS x LLM_MAX_BATCH)");
            assertTrue(template.path("spec").path("timeoutSeconds").asInt() >= 300,
                    server + ": streams of long completions need timeoutSeconds of minutes");
        }
    }

    @Test
    void referencesBetweenManifestsResolve() {
        for (Server server : servers()) {
            for (JsonNode volume : server.podSpec().path("volumes")) {
                String claim = volume.path("persistentVolumeClaim").path("claimName").asText(null);
                if (claim != null) {
                    assertTrue(manifests.stream().anyMatch(m -> m.file().getParent().equals(server.manifest().file().getParent())
                                    && m.kind().equals("PersistentVolumeClaim") && m.name().equals(claim)),
                            server + " mounts PVC " + claim + ", which no manifest in its directory creates");
                }
            }
        }
        for (Manifest service : manifests) {
            if (!service.kind().equals("Service") || !service.document().path("apiVersion").asText().equals("v1")) {
                continue;
            }
            JsonNode selector = service.document().path("spec").path("selector");
            Server target = servers().stream()
                    .filter(server -> server.manifest().kind().equals("Deployment"))
                    .filter(server -> matches(selector, server.manifest().document().path("spec").path("template")
                            .path("metadata").path("labels")))
                    .findFirst().orElseThrow(() -> new AssertionError(service + " selects no Deployment's pods"));
            for (JsonNode port : service.document().path("spec").path("ports")) {
                assertEquals(target.containerPort(), target.resolvePort(port.path("targetPort")),
                        service + " forwards to a port that is not the server's HTTP port");
            }
        }
        for (Manifest hpa : manifests) {
            if (hpa.kind().equals("HorizontalPodAutoscaler")) {
                String deployment = hpa.document().path("spec").path("scaleTargetRef").path("name").asText();
                assertTrue(manifests.stream().anyMatch(m -> m.kind().equals("Deployment") && m.name().equals(deployment)),
                        hpa + " scales Deployment " + deployment + ", which no manifest creates");
            }
        }
    }

    /** A container running the gguf-serve image, with the manifest and pod spec it is in. */
    record Server(Manifest manifest, JsonNode podSpec, JsonNode container) {

        boolean isKnative() {
            return manifest.document().path("apiVersion").asText().startsWith("serving.knative.dev/");
        }

        /** Variable name to literal value; null for values from a secret or config map. */
        Map<String, String> environment() {
            Map<String, String> environment = new LinkedHashMap<>();
            for (JsonNode variable : container.path("env")) {
                environment.put(variable.path("name").asText(),
                        variable.has("value") ? variable.path("value").asText() : null);
            }
            return environment;
        }

        int containerPort() {
            JsonNode ports = container.path("ports");
            assertEquals(1, ports.size(), this + " must expose exactly one port, the HTTP port");
            return ports.get(0).path("containerPort").asInt();
        }

        /** A probe's or Service's port: a number, or the name of one of the container's ports. */
        int resolvePort(JsonNode port) {
            if (port.isInt()) {
                return port.asInt();
            }
            for (JsonNode declared : container.path("ports")) {
                if (declared.path("name").asText().equals(port.asText())) {
                    return declared.path("containerPort").asInt();
                }
            }
            throw new AssertionError(this + " refers to a port named " + port.asText() + ", which it does not declare");
        }

        String image() {
            return container.path("image").asText();
        }

        @Override
        public String toString() {
            return manifest + " container " + container.path("name").asText();
        }
    }

    private static List<Server> servers() {
        List<Server> servers = new ArrayList<>();
        for (Manifest manifest : manifests) {
            JsonNode podSpec = manifest.document().path("spec").path("template").path("spec");
            for (JsonNode container : podSpec.path("containers")) {
                String image = container.path("image").asText();
                if (image.substring(image.lastIndexOf('/') + 1).startsWith(IMAGE_NAME + ":")) {
                    servers.add(new Server(manifest, podSpec, container));
                }
            }
        }
        return servers;
    }

    private static Path dockerfileOf(Server server) {
        String tag = server.image().substring(server.image().lastIndexOf(':') + 1);
        Path dockerfile = DOCKER_DIRECTORY.resolve("Dockerfile." + tag.substring(tag.lastIndexOf('-') + 1));
        assertTrue(Files.exists(dockerfile), server + " runs image " + server.image() + " but there is no " + dockerfile);
        return dockerfile;
    }

    /**
     * Every environment variable the application reads as configuration: the properties of its config mappings
     * and every property Quarkus knows (its own settings all have defaults, so they are all listed), each turned
     * into its environment form the way MicroProfile Config does (non-alphanumerics to _, upper case).
     */
    private static Set<String> applicationEnvironmentVariables() {
        Set<String> variables = new HashSet<>();
        for (Class<?> mapping : configMappings) {
            ConfigMappings.getProperties(configClass(mapping)).keySet().forEach(name -> variables.add(toEnvironmentName(name)));
        }
        ConfigProvider.getConfig().getPropertyNames().forEach(name -> variables.add(toEnvironmentName(name)));
        return variables;
    }

    private static String defaultValueOf(String environmentVariable) {
        for (Class<?> mapping : configMappings) {
            for (var property : ConfigMappings.getProperties(configClass(mapping)).entrySet()) {
                if (toEnvironmentName(property.getKey()).equals(environmentVariable)) {
                    assertTrue(property.getValue().hasDefaultValue(), environmentVariable + " has no default");
                    return property.getValue().getDefaultValue();
                }
            }
        }
        throw new AssertionError(environmentVariable + " is no configuration property of the application");
    }

    private static ConfigMappings.ConfigClass configClass(Class<?> mapping) {
        return new ConfigMappings.ConfigClass(mapping, mapping.getAnnotation(ConfigMapping.class).prefix());
    }

    static String toEnvironmentName(String propertyName) {
        return propertyName.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** The application's interfaces annotated with @ConfigMapping, found among its compiled classes. */
    private static List<Class<?>> findConfigMappings() throws IOException {
        List<Class<?>> mappings = new ArrayList<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try (Stream<Path> files = Files.walk(MAIN_CLASSES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String className = MAIN_CLASSES.relativize(file).toString()
                        .replace(".class", "").replace(file.getFileSystem().getSeparator(), ".");
                try {
                    Class<?> type = Class.forName(className, false, loader);
                    if (type.isInterface() && type.isAnnotationPresent(ConfigMapping.class)) {
                        mappings.add(type);
                    }
                } catch (ClassNotFoundException | LinkageError e) {
                    fail("cannot load " + className + " from " + MAIN_CLASSES + ": " + e);
                }
            }
        }
        return mappings;
    }

    private static boolean matches(JsonNode selector, JsonNode labels) {
        assertNotEquals(0, selector.size(), "an empty selector selects everything");
        for (var entry : selector.properties()) {
            if (!entry.getValue().asText().equals(labels.path(entry.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }
}
