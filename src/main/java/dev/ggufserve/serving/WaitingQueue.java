package dev.ggufserve.serving;

/** The generations waiting for a replica, as a replica's batch takes from and gives back to them. */
interface WaitingQueue {

    /** The next waiting generation, or null. */
    Generation poll();

    /** Puts a generation back at the front: one that could not be admitted yet, or one preempted. */
    void putBack(Generation generation);

    /** A generation has left for good (finished, failed or cancelled), making room for a new request. */
    void ended();
}
