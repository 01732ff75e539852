package org.machina.api.monitor;

/** A QMP error reply: an error class and a human-readable description. */
public class MonitorException extends Exception {
    private static final long serialVersionUID = 1L;

    /** QMP error classes. */
    public enum ErrorClass { GenericError, CommandNotFound, DeviceNotActive, DeviceNotFound, KVMMissingCap }

    private final ErrorClass errorClass;

    public MonitorException(ErrorClass errorClass, String description) {
        super(description);
        this.errorClass = errorClass;
    }

    public ErrorClass errorClass() {
        return errorClass;
    }
}
