package dev.ggufserve.serving;

/** One request's work on a replica, as the {@link ReplicaScheduler} sees it. */
public interface ReplicaTask<R> {

    /** Runs the whole request on {@code replica}, which nobody else uses meanwhile. */
    void runOn(R replica);

    /** True once the client has gone; a task still waiting is then dropped instead of run. */
    boolean isCancelled();

    /** Called instead of {@link #runOn} when the task was cancelled while it waited. */
    void dropped();
}
