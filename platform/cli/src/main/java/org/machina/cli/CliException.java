package org.machina.cli;

/**
 * A failure with a documented exit status; the message is printed after {@code machina: }.
 *
 * <p>Statuses: {@link #FAILURE} 1, {@link #USAGE} 2, {@link #NO_INSTANCE} 3, {@link #WRONG_STATE} 4,
 * {@link #TIMEOUT} 5.
 */
final class CliException extends RuntimeException {
    static final int FAILURE = 1;
    static final int USAGE = 2;
    static final int NO_INSTANCE = 3;
    static final int WRONG_STATE = 4;
    static final int TIMEOUT = 5;

    /** The footer every instance command shows in its {@code --help}. */
    static final String EXIT_CODES = "%nExit codes: 0 success, 1 failure (QMP error, daemon failed),%n"
            + "  2 usage error or bad name, 3 no such instance,%n"
            + "  4 instance in the wrong state (e.g. not running), 5 time-out.";

    private final int status;

    CliException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
