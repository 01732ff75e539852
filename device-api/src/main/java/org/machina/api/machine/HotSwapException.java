package org.machina.api.machine;

/** A bundle operation was refused, or a hot-swap failed and was rolled back. */
public class HotSwapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HotSwapException(String message) {
        super(message);
    }

    public HotSwapException(String message, Throwable cause) {
        super(message, cause);
    }
}
