package dev.ggufserve.serving;

import org.jboss.logging.Logger;

/** One accepted request: runs it on a replica when its turn comes, unless its client has left. */
final class GenerationTask implements ReplicaTask<Replica>, GenerationHandle {

    private static final Logger LOG = Logger.getLogger(GenerationTask.class);

    private final GenerationRequest request;
    private final GenerationSink sink;
    private final Generator generator;
    private final long acceptedNanos = System.nanoTime();
    /** Set from an HTTP thread when the client disconnects, read by the replica's worker thread. */
    private volatile boolean cancelled;

    GenerationTask(GenerationRequest request, GenerationSink sink, Generator generator) {
        this.request = request;
        this.sink = sink;
        this.generator = generator;
    }

    @Override
    public void runOn(Replica replica) {
        try {
            generator.generate(replica, request, sink, this::isCancelled, acceptedNanos);
        } catch (RuntimeException e) {
            // The KV state may hold part of this request; the next request starts from nothing.
            replica.reset();
            LOG.error("Generation failed", e);
            sink.failed(e);
        }
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
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
