package org.machina.devices.firewire.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real C library through java.lang.foreign, on the files this machine has (no /dev/fw*): what
 * {@code fw-host} says of a missing file, a regular file, /dev/null and a directory.
 */
class FfmLibcTest {
    private final FfmLibc libc = FfmLibc.get();

    @Test
    void aRegularFileIsNotAFirewireCdevDevice(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("fw9"), "not a device");
        CdevException e = assertThrows(CdevException.class, () -> CdevDevice.open(libc, f.toString()));
        assertTrue(e.getMessage().startsWith(f + ": not a firewire-cdev device"), e.getMessage());
        assertTrue(e.getMessage().contains("ENOTTY"), e.getMessage());
        assertEquals(ErrnoException.ENOTTY, ((ErrnoException) e.getCause()).errno());
    }

    @Test
    void devNullIsNotAFirewireCdevDevice() {
        CdevException e = assertThrows(CdevException.class, () -> CdevDevice.open(libc, "/dev/null"));
        assertTrue(e.getMessage().startsWith("/dev/null: not a firewire-cdev device (FW_CDEV_IOC_GET_INFO: ENOTTY)"),
                e.getMessage());
    }

    @Test
    void aMissingFileAndADirectory(@TempDir Path dir) {
        String missing = dir.resolve("fw42").toString();
        CdevException e = assertThrows(CdevException.class, () -> CdevDevice.open(libc, missing));
        assertTrue(e.getMessage().startsWith(missing + ": no such file"), e.getMessage());
        assertEquals(ErrnoException.ENOENT, ((ErrnoException) e.getCause()).errno());
        CdevException d = assertThrows(CdevException.class, () -> CdevDevice.open(libc, dir.toString()));
        assertTrue(d.getMessage().contains("is a directory"), d.getMessage());
    }

    @Test
    void ioctlReadAndPollReportErrnoAndResults(@TempDir Path dir) throws Exception {
        int fd = libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arg = a.allocate(CdevAbi.GET_INFO_SIZE, 8);
            ErrnoException e = assertThrows(ErrnoException.class, () -> libc.ioctl(fd, CdevAbi.IOC_GET_INFO, arg));
            assertEquals(ErrnoException.ENOTTY, e.errno());
            assertEquals(0, libc.read(fd, a.allocate(64)));   // end of file
            assertTrue((libc.poll(fd, Libc.POLLIN, 0) & Libc.POLLIN) != 0, "/dev/null is always readable");
        } finally {
            libc.close(fd);
        }
        ErrnoException bad = assertThrows(ErrnoException.class, () -> libc.ioctl(fd, CdevAbi.IOC_GET_INFO, MemorySegment.NULL));
        assertEquals(9, bad.errno());   // EBADF: the descriptor was closed
    }
}
