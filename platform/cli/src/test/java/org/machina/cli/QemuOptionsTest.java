package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuOptionsTest {
    @Test
    void commonQemuCommandLine() {
        QemuOptions.Parsed p = QemuOptions.parse(List.of("-M", "pc", "-m", "256", "-cpu", "pentium3", "-kernel", "vmlinuz",
                "-initrd", "initrd.gz", "-append", "console=ttyS0 quiet", "-nographic", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-debugcon", "file:dbg.log", "--post-log", "post.txt"));
        JsonObject d = p.description();
        assertEquals("pc", d.get("board").getAsString());
        assertEquals("256M", d.get("memory").getAsString());
        assertEquals("pentium3", d.get("cpu").getAsString());
        assertEquals("console=ttyS0 quiet", d.get("append").getAsString());
        assertTrue(d.get("no-reboot").getAsBoolean());
        var chardevs = d.getAsJsonArray("chardevs");
        assertEquals("debugcon", chardevs.get(0).getAsJsonObject().get("id").getAsString());
        assertEquals("dbg.log", chardevs.get(0).getAsJsonObject().get("path").getAsString());
        assertEquals("serial0", chardevs.get(1).getAsJsonObject().get("id").getAsString(), "-nographic puts serial0 on stdio");
        assertEquals("stdio", chardevs.get(1).getAsJsonObject().get("backend").getAsString());
        var devices = d.getAsJsonArray("devices");
        assertEquals("isa-debug-exit", devices.get(0).getAsJsonObject().get("type").getAsString());
        assertEquals("0xf4", devices.get(0).getAsJsonObject().get("iobase").getAsString());
        assertEquals("post-code", devices.get(2).getAsJsonObject().get("type").getAsString());
    }

    @Test
    void accelGoesToTheCpuWithTheModel() {
        JsonObject cpu = QemuOptions.parse(List.of("-cpu", "486", "-accel", "tcg,thresh=4")).description()
                .getAsJsonObject("cpu");
        assertEquals("486", cpu.get("model").getAsString());
        assertEquals("tcg,thresh=4", cpu.get("accel").getAsString());
        JsonObject alone = QemuOptions.parse(List.of("-accel", "interp")).description().getAsJsonObject("cpu");
        assertEquals("interp", alone.get("accel").getAsString());
        assertTrue(!alone.has("model"), "the board picks the model");
        assertTrue(assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-cpu", "none", "-accel", "tcg")))
                .getMessage().contains("no CPU"));
    }

    @Test
    void globalGivesPropertyDefaultsPerDeviceTypeInBothQemuSpellings() {
        JsonObject g = QemuOptions.parse(List.of("-global", "hpet.fastpath=off", "-global",
                "driver=acpi-pm,property=fastpath,value=off", "-global", "hpet.base=0xfed01000", "-global", "hpet.fastpath=on"))
                .description().getAsJsonObject("globals");
        assertEquals("{\"hpet\":{\"fastpath\":\"on\",\"base\":\"0xfed01000\"},\"acpi-pm\":{\"fastpath\":\"off\"}}",
                g.toString(), "a later -global for the same property wins");
        for (String bad : List.of("fastpath=off", "hpet.=off", "hpet.fastpath", "driver=hpet,value=off")) {
            var e = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-global", bad)), bad);
            assertTrue(e.getMessage().startsWith("-global " + bad + ": give "), e.getMessage());
        }
        assertFalse(QemuOptions.parse(List.of("-m", "64")).description().has("globals"));
    }

    @Test
    void usbGivesAnXhciControllerBeforeTheUsbDevices() {
        JsonObject d = QemuOptions.parse(List.of("-drive", "if=none,id=u,file=stick.img,format=raw",
                "-device", "usb-storage,drive=u,port=2", "-usb")).description();
        var devices = d.getAsJsonArray("devices");
        assertEquals(2, devices.size());
        assertEquals("qemu-xhci", devices.get(0).getAsJsonObject().get("type").getAsString());
        assertEquals("usb", devices.get(0).getAsJsonObject().get("id").getAsString());
        assertEquals("usb-storage", devices.get(1).getAsJsonObject().get("type").getAsString());
        assertEquals("2", devices.get(1).getAsJsonObject().get("port").getAsString());
    }

    @Test
    void aDoubledCommaIsACommaInAValue() {
        JsonObject d = QemuOptions.parse(List.of("-usb", "-device",
                "usb-video,source=process,command=ffmpeg -vf scale=640:480,,fps=30 -f yuv4mpegpipe -,port=2")).description();
        JsonObject cam = d.getAsJsonArray("devices").asList().stream().map(e -> e.getAsJsonObject())
                .filter(o -> o.get("type").getAsString().equals("usb-video")).findFirst().orElseThrow();
        assertEquals("ffmpeg -vf scale=640:480,fps=30 -f yuv4mpegpipe -", cam.get("command").getAsString());
        assertEquals("2", cam.get("port").getAsString());
    }

    @Test
    void serialSpecs() {
        JsonObject d = QemuOptions.parse(List.of("-serial", "tcp::4555,server,nowait", "-serial", "unix:/tmp/s", "-serial", "none"))
                .description();
        var c = d.getAsJsonArray("chardevs");
        assertEquals(2, c.size());
        assertEquals("socket", c.get(0).getAsJsonObject().get("backend").getAsString());
        assertEquals("4555", c.get(0).getAsJsonObject().get("port").getAsString());
        assertEquals("/tmp/s", c.get(1).getAsJsonObject().get("path").getAsString());
    }

    @Test
    void errorsNameTheOption() {
        var e = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-enable-kvm")));
        assertTrue(e.getMessage().contains("'-enable-kvm'"), e.getMessage());
        e = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-m")));
        assertTrue(e.getMessage().contains("needs a value"), e.getMessage());
        e = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-device", "a,b")));
        assertTrue(e.getMessage().contains("'b' is not key=value"), e.getMessage());
        e = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-serial", "pty:x")));
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    }

    @Test
    void descriptionFileAndFlags() {
        QemuOptions.Parsed p = QemuOptions.parse(List.of("machine.json", "--print-description", "-S"));
        assertEquals("machine.json", p.descriptionFile());
        assertTrue(p.printDescription());
        assertTrue(p.startPaused());
    }

    @Test
    void drivesWithAndWithoutAFrontend() {
        JsonObject d = QemuOptions.parse(List.of("-drive", "file=a.qcow2,format=qcow2,if=virtio,readonly=on",
                "-drive", "file=b.img,if=none,id=data", "-device", "virtio-blk-pci,drive=data,addr=5")).description();
        var drives = d.getAsJsonArray("drives");
        JsonObject a = drives.get(0).getAsJsonObject();
        assertEquals("drive0", a.get("id").getAsString());
        assertEquals("qcow2", a.get("format").getAsString());
        assertTrue(a.get("readonly").getAsBoolean());
        assertEquals(false, a.has("if"), "the interface becomes a device, not a drive property");
        assertEquals("raw", drives.get(1).getAsJsonObject().get("format").getAsString());
        var devices = d.getAsJsonArray("devices");
        assertEquals(2, devices.size());
        JsonObject v = devices.get(0).getAsJsonObject();
        assertEquals("virtio-blk-pci", v.get("type").getAsString());
        assertEquals("drive0", v.get("drive").getAsString());
        assertEquals("data", devices.get(1).getAsJsonObject().get("drive").getAsString());
        var e = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-drive", "file=x,if=sd")));
        assertTrue(e.getMessage().contains("-drive if=sd: not supported; use if=ide"), e.getMessage());
    }

    @Test
    void qmpTakesQemusUnixSocketSpellings() {
        assertEquals("/tmp/q.sock", QemuOptions.parse(List.of("-qmp", "unix:/tmp/q.sock,server=on,wait=off")).qmpSocket());
        assertEquals("q.sock", QemuOptions.parse(List.of("-qmp", "unix:q.sock,server,nowait")).qmpSocket());
        assertEquals(null, QemuOptions.parse(List.of("-m", "16")).qmpSocket());
        for (String bad : List.of("tcp:127.0.0.1:4444,server=on,wait=off", "unix:/tmp/q.sock,server",
                "unix:/tmp/q.sock,server=on,wait=on", "unix:/tmp/q.sock,server=on,wait=off,telnet")) {
            var e = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-qmp", bad)));
            assertTrue(e.getMessage().startsWith("-qmp " + bad + ": "), e.getMessage());
        }
        var hmp = assertThrows(QemuOptions.UsageException.class, () -> QemuOptions.parse(List.of("-monitor", "stdio")));
        assertTrue(hmp.getMessage().contains("use -qmp unix:PATH,server=on,wait=off"), hmp.getMessage());
    }
}
