package org.machina.host.posix;

/**
 * A C library call that failed, with its errno (Linux numbers). The message names the call, the
 * errno's symbolic name, the C library's text for it where the call went to the real library
 * ({@link FfmLibc}: strerror(3)), and the number: {@code open: ENOENT: No such file or directory (errno 2)}.
 */
public final class ErrnoException extends Exception {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int ENODEV = 19;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int ENOSYS = 38;
    public static final int EMSGSIZE = 90;
    public static final int EPROTONOSUPPORT = 93;
    public static final int EAFNOSUPPORT = 97;
    public static final int ENETUNREACH = 101;
    public static final int ENOBUFS = 105;
    public static final int EHOSTUNREACH = 113;

    private final String call;
    private final int errno;

    /** A failure with the errno's name only (simulated kernels). */
    public ErrnoException(String call, int errno) {
        this(call, errno, null);
    }

    /** A failure with the C library's text for the errno ({@code strerror}; null: none). */
    public ErrnoException(String call, int errno, String text) {
        super(call + ": " + name(errno) + (text == null || text.isEmpty() ? "" : ": " + text) + " (errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    private ErrnoException(String call, ErrnoException cause) {
        super(call + cause.getMessage().substring(cause.call.length()), cause);
        this.call = call;
        this.errno = cause.errno;
    }

    /** The same failure under another name (an ioctl named by its request: {@code VIDIOC_QUERYCAP: ENOTTY ...}). */
    public ErrnoException as(String callName) {
        return new ErrnoException(callName, this);
    }

    public int errno() {
        return errno;
    }

    /** The call that failed, as named in the message. */
    public String call() {
        return call;
    }

    /** The errno's symbolic name ({@code ENOTTY}), or {@code errno N} for one not listed here. */
    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY";
            case ENODEV -> "ENODEV";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case ENOTTY -> "ENOTTY";
            case ENOSYS -> "ENOSYS";
            case EMSGSIZE -> "EMSGSIZE";
            case EPROTONOSUPPORT -> "EPROTONOSUPPORT";
            case EAFNOSUPPORT -> "EAFNOSUPPORT";
            case ENETUNREACH -> "ENETUNREACH";
            case ENOBUFS -> "ENOBUFS";
            case EHOSTUNREACH -> "EHOSTUNREACH";
            default -> "errno " + errno;
        };
    }
}
