package org.machina.api.machine;

/**
 * A machine description is wrong. The message names the JSON path ({@code $.devices[2].type}),
 * the offending value and what would have been accepted.
 */
public class DescriptionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String path;

    public DescriptionException(String path, String message) {
        super(path + ": " + message);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
