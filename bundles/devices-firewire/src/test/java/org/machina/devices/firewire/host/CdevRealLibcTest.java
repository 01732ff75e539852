package org.machina.devices.firewire.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;

/**
 * The real C library through java.lang.foreign, on the files this machine has (no /dev/fw*): what
 * {@code fw-host} says of a missing file, a regular file, /dev/null and a directory. (The binding
 * itself is tested in host-posix: {@code FfmLibcTest}.)
 */
class CdevRealLibcTest {
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
}
