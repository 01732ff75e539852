package org.machina.api.machine;

/** Machine life cycle. Names follow QMP's {@code query-status} where one exists. */
public enum MachineState {
    /** Assembled, not yet started (QMP: prelaunch). */
    CREATED("prelaunch"),
    RUNNING("running"),
    /** Paused by a user, a debugger or a hot-swap (QMP: paused). */
    PAUSED("paused"),
    /** Stopped for good; the exit status is known (QMP: shutdown). */
    SHUT_DOWN("shutdown");

    private final String qmpName;

    MachineState(String qmpName) {
        this.qmpName = qmpName;
    }

    public String qmpName() {
        return qmpName;
    }
}
