package dev.ggufserve.serving;

import org.jboss.logging.Logger;

import java.util.function.BooleanSupplier;

/**
 * One accepted request: runs it on a replica when its turn comes, unless its client has left or the
 * server is closing.
 */
final class GenerationTask implements ReplicaTask<Replica>, GenerationHandle {

    private static final Logger LOG = Logger.getLogger(GenerationTask.class);

    private final GenerationRequest request;
    private final GenerationSink sink;
    private final Generator generator;
    /** True once the server stops for good (the shutdown grace period is over): every task stops. */
    private final BooleanSupplier serverClosing;
    private final long acceptedNanos = System.nanoTime();
    /** Set from an HTTP thread when the client disconnects, read by the replica's worker thread. */
    private volatile boolean cancelled;

    GenerationTask(GenerationRequest request, GenerationSink sink, Generator generator, BooleanSupplier serverClosing) {
        this.request = request;
        this.sink = sink;
        this.generator = generator;
        this.serverClosing = serverClosing;
    }

    @Override
    public void runOn(Replica replica) {
        try {
            generator.generate(replica, request, sink, this::isCancelled, acceptedNanos);
        } catch (GenerationTimeoutException e) {
            // Stopped between tokens, so the KV state is whole; the replica serves on as it is.
            LOG.warn(e.getMessage());
            sink.failed(e);
        } catch (RuntimeException e) {
            // The KV state may hold part of this request; the next request starts from nothing.
            replica.reset();
            LOG.error("Generation failed", e);
            sink.failed(e);
        }
    }

    @Override
    public boolean isCancelled() {
        return cancelled || serverClosing.getAsBoolean();
    }

    @Override
    public void dropped() {
        sink.cancelled();
    }

    @Override
    public void cancel() {
        cancelled = true;
    }
}
