package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Firmware mapping, default devices, and the error messages for bad boot files. */
class BoardErrorsTest {
    @TempDir
    Path dir;

    private String error(FakeBoardContext c) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PcBoard().build(c));
        assertTrue(c.memory.mappings.isEmpty(), "nothing mapped after a failed build");
        return e.getMessage();
    }

    private FakeBoardContext withKernel(SyntheticKernel k) throws IOException {
        FakeBoardContext c = new FakeBoardContext();
        c.kernel = Files.write(dir.resolve("k"), k.build());
        return c;
    }

    @Test
    void missingKernelFile() {
        FakeBoardContext c = new FakeBoardContext();
        c.kernel = dir.resolve("nope");
        String m = error(c);
        assertTrue(m.contains("kernel file") && m.contains("nope") && m.contains("does not exist"), m);
    }

    @Test
    void notABzImage() throws IOException {
        SyntheticKernel k = new SyntheticKernel();
        k.magic = false;
        String m = error(withKernel(k));
        assertTrue(m.contains("not a Linux bzImage") && m.contains("HdrS"), m);
    }

    @Test
    void protocolTooOld() throws IOException {
        SyntheticKernel k = new SyntheticKernel();
        k.protocol = 0x0205;
        String m = error(withKernel(k));
        assertTrue(m.contains("2.05") && m.contains("2.06 or newer"), m);
    }

    @Test
    void zImageRefused() throws IOException {
        SyntheticKernel k = new SyntheticKernel();
        k.loadflags = 0;
        assertTrue(error(withKernel(k)).contains("zImage"));
    }

    @Test
    void initrdTooLargeForRam() throws IOException {
        FakeBoardContext c = withKernel(new SyntheticKernel());
        c.ramSize = 4L << 20;
        c.initrd = Files.write(dir.resolve("big"), new byte[4 << 20]);
        String m = error(c);
        assertTrue(m.contains("initrd of 4096 KiB does not fit in RAM"), m);
    }

    @Test
    void commandLineTooLong() throws IOException {
        SyntheticKernel k = new SyntheticKernel();
        k.cmdlineSize = 8;
        FakeBoardContext c = withKernel(k);
        c.cmdline = "console=ttyS0";
        assertTrue(error(c).contains("at most 8"));
    }

    @Test
    void biosSizeMustBeMultipleOf64KiB() throws IOException {
        FakeBoardContext c = new FakeBoardContext();
        c.firmware = Files.write(dir.resolve("bios.bin"), new byte[100_000]);
        String m = error(c);
        assertTrue(m.contains("100000 bytes") && m.contains("multiple of 64 KiB"), m);
    }

    @Test
    void noBootSourceOrBoth() throws IOException {
        assertTrue(error(new FakeBoardContext()).contains("-kernel"));
        FakeBoardContext both = withKernel(new SyntheticKernel());
        both.firmware = Files.write(dir.resolve("bios.bin"), new byte[65536]);
        assertTrue(error(both).contains("not both"));
    }

    @Test
    void firmwareMappedBelow4GiBWithLow128KiBAlias() throws IOException {
        byte[] bios = new byte[256 * 1024];
        for (int i = 0; i < bios.length; i++) {
            bios[i] = (byte) (i >> 8 ^ i);
        }
        FakeBoardContext c = new FakeBoardContext();
        c.firmware = Files.write(dir.resolve("bios.bin"), bios);
        new PcBoard().build(c).reset();
        assertEquals(0xFFFC0000L, c.memory.find("pc.bios").base());
        FakeSpace.Map low = c.memory.find("pc.bios.low");
        assertEquals(0xE0000L, low.base());
        assertEquals(128 * 1024, low.region().size());
        for (long off : new long[] {0, 0x1234, bios.length - 16, bios.length - 1}) {
            assertEquals(bios[(int) off] & 0xFF, c.memory.readByte(0xFFFC0000L + off));
        }
        // The last 128 KiB appear ending at 1 MiB: the reset vector is at 0xFFFF0 too.
        for (long off = bios.length - 128 * 1024; off < bios.length; off += 4093) {
            assertEquals(bios[(int) off] & 0xFF, c.memory.readByte(0x100000 - bios.length + off));
        }
        assertEquals(bios[bios.length - 16] & 0xFF, c.memory.readByte(0xFFFF0));
    }

    @Test
    void smallFirmwareAliasedWhole() throws IOException {
        byte[] bios = new byte[64 * 1024];
        bios[0] = 0x42;
        FakeBoardContext c = new FakeBoardContext();
        c.firmware = Files.write(dir.resolve("bios.bin"), bios);
        new PcBoard().build(c);
        assertEquals(0xF0000L, c.memory.find("pc.bios.low").base());
        assertEquals(0x42, c.memory.readByte(0xF0000));
        assertEquals(0x42, c.memory.readByte(0xFFFF0000L));
    }

    @Test
    void defaultDevices() throws IOException {
        FakeBoardContext c = withKernel(new SyntheticKernel());
        c.chardevs = java.util.Set.of("serial0", "serial2");
        new PcBoard().build(c);
        assertEquals(List.of(
                new FakeBoardContext.AddedDevice("i8259", "pic", Map.of()),
                new FakeBoardContext.AddedDevice("hpet", "hpet", Map.of("base", Long.toString(0xFED00000L))),
                new FakeBoardContext.AddedDevice("i8254", "pit", Map.of("irq-controller", "hpet-legacy")),
                new FakeBoardContext.AddedDevice("mc146818rtc", "rtc", Map.of("memory", Long.toString(64L << 20),
                        "irq-controller", "hpet-legacy")),
                new FakeBoardContext.AddedDevice("acpi-pm", "acpi-pm", Map.of("base", "1536", "sci", "9")),
                new FakeBoardContext.AddedDevice("isa-serial", "serial0", Map.of("index", "0", "chardev", "serial0")),
                new FakeBoardContext.AddedDevice("isa-serial", "serial2", Map.of("index", "2", "chardev", "serial2")),
                new FakeBoardContext.AddedDevice("i8042", "i8042", Map.of()),
                new FakeBoardContext.AddedDevice("port92", "port92", Map.of()),
                new FakeBoardContext.AddedDevice("piix3-ide", "ide", Map.of())), c.devices);
    }

    @Test
    void withoutAcpiAndHpetTheTimersGoStraightToThePic() throws IOException {
        FakeBoardContext c = withKernel(new SyntheticKernel());
        c.chardevs = java.util.Set.of("serial0");
        c.boardProperties = Map.of("acpi", "false", "hpet", "false");
        new PcBoard().build(c);
        assertEquals(List.of(
                new FakeBoardContext.AddedDevice("i8259", "pic", Map.of()),
                new FakeBoardContext.AddedDevice("i8254", "pit", Map.of("irq-controller", "isa")),
                new FakeBoardContext.AddedDevice("mc146818rtc", "rtc", Map.of("memory", Long.toString(64L << 20),
                        "irq-controller", "isa")),
                new FakeBoardContext.AddedDevice("isa-serial", "serial0", Map.of("index", "0", "chardev", "serial0")),
                new FakeBoardContext.AddedDevice("i8042", "i8042", Map.of()),
                new FakeBoardContext.AddedDevice("port92", "port92", Map.of()),
                new FakeBoardContext.AddedDevice("piix3-ide", "ide", Map.of())), c.devices);
    }

    @Test
    void serial0WithoutChardev() throws IOException {
        FakeBoardContext c = withKernel(new SyntheticKernel());
        c.chardevs = java.util.Set.of();
        new PcBoard().build(c);
        assertTrue(c.devices.contains(new FakeBoardContext.AddedDevice("isa-serial", "serial0", Map.of("index", "0"))));
        assertEquals(1, c.devices.stream().filter(d -> d.type().equals("isa-serial")).count());
    }
}
