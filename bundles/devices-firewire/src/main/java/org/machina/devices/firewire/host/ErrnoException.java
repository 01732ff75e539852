package org.machina.devices.firewire.host;

/** A C library call that failed, with its errno (Linux numbers). */
public final class ErrnoException extends Exception {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int ENODEV = 19;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;

    private final int errno;

    public ErrnoException(String call, int errno) {
        super(call + ": " + name(errno) + " (" + describe(errno) + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EAGAIN -> "EAGAIN";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY";
            case ENODEV -> "ENODEV";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case ENOTTY -> "ENOTTY";
            default -> "errno " + errno;
        };
    }

    static String describe(int errno) {
        return switch (errno) {
            case EPERM -> "operation not permitted";
            case ENOENT -> "no such file or directory";
            case EINTR -> "interrupted";
            case EIO -> "input/output error";
            case ENXIO -> "no such device or address";
            case EAGAIN -> "try again";
            case EACCES -> "permission denied";
            case EFAULT -> "bad address";
            case EBUSY -> "busy";
            case ENODEV -> "no such device";
            case EISDIR -> "is a directory";
            case EINVAL -> "invalid argument";
            case ENOTTY -> "inappropriate ioctl for device";
            default -> "see errno(3)";
        };
    }
}
