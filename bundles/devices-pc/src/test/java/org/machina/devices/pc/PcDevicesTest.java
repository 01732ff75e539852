package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;

/** The devices together on one fake machine, and the names the PC board relies on. */
class PcDevicesTest {
    @Test
    void typeNamesAndPropertiesAreTheOnesTheBoardUses() {
        Map<String, DeviceType> types = Map.of("i8259", new I8259Type(), "i8254", new I8254Type(), "mc146818rtc",
                new Mc146818RtcType(), "isa-serial", new IsaSerialType(), "i8042", new I8042Type(), "port92",
                new Port92Type(), "hpet", new HpetType(), "acpi-pm", new AcpiPmType());
        types.forEach((name, type) -> assertEquals(name, type.name()));
        assertEquals(List.of("base", "memory", "irq-controller"), names(new Mc146818RtcType()));
        assertEquals(List.of("irq-controller"), names(new I8254Type()));
        assertEquals(List.of("base", "fastpath"), names(new HpetType()));
        assertEquals(List.of("base", "sci", "fastpath"), names(new AcpiPmType()));
        assertEquals(List.of("index", "iobase", "irq", "chardev", "paced"), names(new IsaSerialType()));
        assertEquals(PropertySpec.Type.CHARDEV, new IsaSerialType().properties().get(3).type());
    }

    private static List<String> names(DeviceType t) {
        return t.properties().stream().map(PropertySpec::name).toList();
    }

    @Test
    void timerInterruptReachesTheCpuThroughThePic() {
        FakeContext ctx = new FakeContext();
        I8259 pic = (I8259) FakeContext.create(new I8259Type(), ctx, Map.of());
        I8254 pit = (I8254) FakeContext.create(new I8254Type(), ctx, Map.of());
        Mc146818Rtc rtc = (Mc146818Rtc) FakeContext.create(new Mc146818RtcType(), ctx, Map.of());
        pic.realize();
        pit.realize();
        rtc.realize();
        I8259Test.initLikeLinux(ctx);
        ctx.out(0x43, 0x34);
        ctx.out(0x40, 0xa9);
        ctx.out(0x40, 0x04); // 1193 ticks: 1 kHz
        assertTrue(ctx.cpuPin.level(), "OUT0 rose when mode 2 was programmed");
        assertEquals(0x30, ctx.ack.acknowledge());
        ctx.out(0x20, 0x20);
        assertFalse(ctx.cpuPin.level());
        ctx.executor.advanceTo(I8254.nanos(1193));
        assertTrue(ctx.cpuPin.level());
        assertEquals(0x30, ctx.ack.acknowledge());
        ctx.out(0x20, 0x20);

        // RTC periodic interrupt arrives as IRQ8 through the cascade.
        ctx.out(0x70, 0x0b);
        ctx.out(0x71, 0x42);
        ctx.executor.advanceTo((1_000_000_000L + 1023) / 1024);
        assertTrue(ctx.cpuPin.level());
        assertEquals(0x38, ctx.ack.acknowledge());
        ctx.out(0x70, 0x0c);
        assertEquals(0xc0, ctx.in(0x71) & 0xc0);
        ctx.out(0xa0, 0x20);
        ctx.out(0x20, 0x20);
        assertFalse(ctx.cpuPin.level());
    }

    @Test
    void hpetLegacyReplacementGatesThePitAtThePic() {
        FakeContext ctx = new FakeContext();
        I8259 pic = (I8259) FakeContext.create(new I8259Type(), ctx, Map.of());
        I8254 pit = (I8254) FakeContext.create(new I8254Type(), ctx, Map.of("irq-controller", Hpet.LEGACY_SINK));
        Hpet hpet = (Hpet) FakeContext.create(new HpetType(), ctx, Map.of());
        pic.realize();
        pit.realize();
        hpet.realize();
        hpet.reset();
        I8259Test.initLikeLinux(ctx);
        ctx.out(0x43, 0x34);
        ctx.out(0x40, 0xa9);
        ctx.out(0x40, 0x04);
        assertTrue(ctx.cpuPin.level(), "the PIT reaches IRQ 0 through the HPET while legacy replacement is off");
        assertEquals(0x30, ctx.ack.acknowledge());
        ctx.out(0x20, 0x20);
        ctx.mem.write(0xFED0_0010L, 8, Hpet.ENABLE_CNF | Hpet.LEG_RT_CNF);
        ctx.executor.advanceTo(I8254.nanos(1193 * 5));
        assertFalse(ctx.cpuPin.level(), "PIT ticks no longer reach the PIC");
        ctx.mem.write(0xFED0_0100L, 4, HpetTimer.INT_ENB | HpetTimer.MODE_32);
        ctx.mem.write(0xFED0_0108L, 4, ctx.mem.read(0xFED0_00F0L, 4) + 1000);
        ctx.executor.advance(10_000);
        assertTrue(ctx.cpuPin.level(), "HPET timer 0 reaches IRQ 0");
        assertEquals(0x30, ctx.ack.acknowledge());
    }

    @Test
    void intFifoKeepsOrderAndCapacity() {
        IntFifo f = new IntFifo(3);
        assertTrue(f.push(1) && f.push(2) && f.push(3));
        assertFalse(f.push(4));
        assertEquals(1, f.pop());
        assertTrue(f.push(5));
        assertEquals(5, f.peekLast());
        f.replaceLast(6);
        assertEquals(List.of(2, 3, 6), java.util.Arrays.stream(f.toArray()).boxed().toList());
        f.load(new int[] {0x1ff, 7}, 0xff, "test");
        assertEquals(0xff, f.pop());
        assertEquals(7, f.pop());
        assertTrue(f.isEmpty());
    }
}
