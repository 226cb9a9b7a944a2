#!/usr/bin/env bash
# Builds, on a machine with Maven (no GPU needed), what bench/gpu-check.sh runs on a GPU machine that has
# neither Maven nor a JDK 25: target/gpu/ with the compiled classes, the few jars the GPU tests and benchmark
# need (JCuda, Jackson, JBoss Logging, the JUnit console launcher; no Quarkus) and a jlink'd Java 25 runtime.
#
#   bench/gpu-build.sh            then carry target/gpu to the GPU machine and run bench/gpu-check.sh there
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:?set JAVA_HOME to a JDK 25}"
export MAVEN_OPTS="${MAVEN_OPTS:---enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow}"

./mvnw -B -q test-compile
rm -rf target/gpu
mkdir -p target/gpu/lib
cp -r target/classes target/test-classes target/gpu/
# The tokenizer fixtures (3 MB) serve no GPU test, and the device tool carries at most 64 MiB with the tree.
rm -rf target/gpu/test-classes/fixtures

./mvnw -B -q dependency:copy-dependencies -DoutputDirectory=target/gpu/lib \
    -DincludeArtifactIds=jcuda,jcuda-natives,jackson-databind,jackson-core,jackson-annotations,jboss-logging,junit-platform-launcher
# The console launcher of the JUnit Platform version the project's tests use (Quarkus' BOM decides it).
launcher=$(ls target/gpu/lib/junit-platform-launcher-*.jar)
junit=${launcher##*/junit-platform-launcher-}
rm "$launcher"
./mvnw -B -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:${junit%.jar}" \
    -DoutputDirectory=target/gpu/lib
# JCuda's natives jar also holds the NVRTC and PTX-compiler bindings (25 MB) that gguf-serve never loads.
natives=$(ls target/gpu/lib/jcuda-natives-*.jar)
zip -q -d "$natives" 'lib/libJNvPTXCompiler*' 'lib/libJNvrtc*' 'lib/libJCudaRuntime*'

"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.xml,java.sql,java.management,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output target/gpu/jre
du -sh target/gpu target/gpu/*
