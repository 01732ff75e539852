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

    private static JsonObject description(String... args) {
        return QemuOptions.parse(List.of(args)).description();
    }

    @Test
    void driveWithoutIfIsQemusDefaultIdeDiskOnTheFirstFreeIndex() {
        JsonObject d = description("-drive", "file=disk.qcow2,format=qcow2", "-drive", "file=two.img");
        assertEquals("{\"id\":\"drive0\",\"file\":\"disk.qcow2\",\"format\":\"qcow2\"}",
                d.getAsJsonArray("drives").get(0).toString(), "if/index/media become a device, not drive properties");
        assertEquals("[{\"type\":\"ide-hd\",\"id\":\"ide-drive0\",\"drive\":\"drive0\",\"bus\":\"ide.0\",\"unit\":\"0\"},"
                + "{\"type\":\"ide-hd\",\"id\":\"ide-drive1\",\"drive\":\"drive1\",\"bus\":\"ide.0\",\"unit\":\"1\"}]",
                d.getAsJsonArray("devices").toString());
    }

    @Test
    void ideIndexBusUnitAndMediaMapAsInQemu() {
        JsonObject d = description("-drive", "file=a.img,if=ide,index=3", "-drive", "file=c.iso,media=cdrom,bus=1,unit=0",
                "-drive", "file=b.img,if=ide", "-device", "virtio-blk-pci,drive=x");
        assertEquals("[{\"type\":\"ide-hd\",\"id\":\"ide-drive2\",\"drive\":\"drive2\",\"bus\":\"ide.0\",\"unit\":\"0\"},"
                + "{\"type\":\"ide-cd\",\"id\":\"ide-drive1\",\"drive\":\"drive1\",\"bus\":\"ide.1\",\"unit\":\"0\"},"
                + "{\"type\":\"ide-hd\",\"id\":\"ide-drive0\",\"drive\":\"drive0\",\"bus\":\"ide.1\",\"unit\":\"1\"},"
                + "{\"type\":\"virtio-blk-pci\",\"drive\":\"x\"}]", d.getAsJsonArray("devices").toString());
        assertTrue(d.getAsJsonArray("drives").get(1).getAsJsonObject().get("readonly").getAsBoolean(),
                "a CD-ROM medium is read-only");
    }

    @Test
    void hdaToHddAndCdromAreIdeIndexes() {
        JsonObject d = description("-hdb", "b.img", "-cdrom", "x.iso", "-hda", "a.qcow2");
        assertEquals("[{\"type\":\"ide-hd\",\"id\":\"ide-drive2\",\"drive\":\"drive2\",\"bus\":\"ide.0\",\"unit\":\"0\"},"
                + "{\"type\":\"ide-hd\",\"id\":\"ide-drive0\",\"drive\":\"drive0\",\"bus\":\"ide.0\",\"unit\":\"1\"},"
                + "{\"type\":\"ide-cd\",\"id\":\"ide-drive1\",\"drive\":\"drive1\",\"bus\":\"ide.1\",\"unit\":\"0\"}]",
                d.getAsJsonArray("devices").toString());
        assertEquals("{\"id\":\"drive1\",\"file\":\"x.iso\",\"format\":\"raw\",\"readonly\":true}",
                d.getAsJsonArray("drives").get(1).toString());
        assertTrue(refusal2("-hda", "a.img", "-drive", "file=b.img,index=0").contains("IDE index 0 (bus 0, unit 0) is already"
                + " taken by drive 'drive0'"));
        assertTrue(refusal2("-hda", "a.img", "-hdb", "b", "-hdc", "c", "-hdd", "d", "-drive", "file=e")
                .contains("no free IDE index"));
        assertTrue(refusal2("-drive", "file=e,index=4").contains("index=4: must be 0..3"));
        assertTrue(refusal2("-drive", "file=e,bus=0,index=1").contains("not both"));
        assertTrue(refusal2("-drive", "file=e,if=virtio,media=cdrom").contains("a CD-ROM is an IDE device"));
    }

    private static String refusal2(String... args) {
        return assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of(args))).getMessage();
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
            {"bus=1", "place a drive on the IDE controller"}, {"unit=0", "place a drive on the IDE controller"},
            {"index=2", "place a drive on the IDE controller"}, {"media=cdrom", "a CD-ROM is an IDE device"},
            {"media=tape", "accepted: cdrom, disk"}, {"snapshot=on", "nbd serve -s"}, {"cache=unsafe", "accepted: none, writeback"},
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
