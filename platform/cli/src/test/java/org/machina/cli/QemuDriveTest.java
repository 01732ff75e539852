package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every {@code -drive} key QEMU documents for the PC machine: accepted with its meaning, or refused saying why. */
class QemuDriveTest {
    private static String refusal(String drive) {
        return assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-drive", drive))).getMessage();
    }

    @Test
    void driveWithoutIfIsQemusDefaultIdeAndSaysSo() {
        String m = refusal("file=disk.qcow2,format=qcow2");
        assertTrue(m.contains("QEMU's default if=ide") && m.contains("IDE issue") && m.contains("if=virtio"), m);
    }

    @Test
    void everyDocumentedDriveKeyIsAcceptedWithItsMeaningOrRefusedWithTheReason() {
        JsonObject d = QemuOptions.parse(List.of("-drive", "file=a.qcow2,format=qcow2,if=none,id=hd,read-only=on,media=disk,"
                + "cache=none,cache.direct=on,cache.no-flush=off,aio=io_uring,discard=ignore,rerror=report,werror=report"))
                .description();
        JsonObject a = d.getAsJsonArray("drives").get(0).getAsJsonObject();
        assertEquals("{\"id\":\"hd\",\"file\":\"a.qcow2\",\"format\":\"qcow2\",\"readonly\":true}", a.toString(),
                "accepted keys that change nothing in Machina leave nothing behind");
        for (String[] c : new String[][] {
            {"bus=1", "IDE, SCSI or floppy"}, {"unit=0", "IDE, SCSI or floppy"}, {"index=2", "IDE, SCSI or floppy"},
            {"media=cdrom", "no CD-ROM"}, {"snapshot=on", "nbd serve -s"}, {"cache=unsafe", "accepted: none, writeback"},
            {"cache=writethrough", "accepted: none, writeback"}, {"cache.no-flush=on", "flushes always reach"},
            {"werror=stop", "never paused"}, {"werror=enospc", "never paused"}, {"rerror=ignore", "always reported"},
            {"discard=unmap", "no discard"}, {"detect-zeroes=on", "zero detection"}, {"copy-on-read=on", "copy-on-read"},
            {"bps=1000", "throttling"}, {"iops_rd_max=9", "throttling"}, {"throttling.iops-total=5", "throttling"},
            {"group=g", "throttling"}, {"node-name=n", "-blockdev"}, {"serial=abc", "removed serial="},
            {"addr=5", "removed addr="}, {"encrypt.format=luks", "encrypted"}, {"file.locking=off", "file.*"},
            {"format=vmdk", "raw and qcow2"}, {"aio=posix", "one I/O path"}, {"readonly=maybe", "on or off"},
            {"force-share=on", "no image locks"}, {"auto-read-only=on", "read-only only when asked"},
            {"if=scsi", "-drive if=scsi: not supported"}, {"if=floppy", "-drive if=floppy: not supported"},
            {"bogus=1", "unknown option"}}) {
            String m = refusal("file=x.img,if=virtio," + c[0]);
            assertTrue(m.contains(c[0].substring(0, c[0].indexOf('='))) && m.contains(c[1]), c[0] + " -> " + m);
        }
    }
}
