package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I8042Test {
    private FakeContext ctx;
    private I8042 kbc;
    private FakeIrqLine irq1;
    private FakeIrqLine irq12;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        kbc = (I8042) FakeContext.create(new I8042Type(), ctx, Map.of());
        kbc.realize();
        kbc.reset();
        irq1 = ctx.line("isa", 1);
        irq12 = ctx.line("isa", 12);
    }

    private List<Integer> drain() {
        List<Integer> out = new ArrayList<>();
        while ((ctx.in(0x64) & 1) != 0) {
            out.add(ctx.in(0x60));
        }
        return out;
    }

    private void command(int cmd) {
        ctx.out(0x64, cmd);
    }

    @Test
    void statusWhenIdleIsNotAllOnes() {
        int s = ctx.in(0x64);
        assertEquals(0, s & 0x03, "nothing to read, input buffer empty");
        assertEquals(0x14, s & 0x14, "system flag and not inhibited");
    }

    @Test
    void selfTestAndInterfaceTests() {
        command(0xaa);
        assertEquals(List.of(0x55), drain());
        command(0xab);
        assertEquals(List.of(0x00), drain());
        command(0xa9);
        assertEquals(List.of(0x00), drain());
        assertEquals(0x08, ctx.in(0x64) & 0x08, "last write was a command");
    }

    @Test
    void readAndWriteCommandByteLikeLinux() {
        command(0x20);
        assertEquals(List.of(0x45), drain());
        command(0x60);
        ctx.out(0x60, 0x47);
        command(0x20);
        assertEquals(List.of(0x47), drain());
        command(0xad);
        command(0xa7);
        command(0x20);
        assertEquals(List.of(0x77), drain());
        command(0xae);
        command(0xa8);
        command(0x20);
        assertEquals(List.of(0x47), drain());
    }

    @Test
    void keyboardResetIdentifyAndLedsRaiseIrq1() {
        int before = irq1.rises;
        ctx.out(0x60, 0xff);
        assertTrue(irq1.level());
        assertEquals(0xfa, ctx.in(0x60));
        assertTrue(irq1.level());
        assertEquals(before + 2, irq1.rises, "a new edge for the second byte");
        assertEquals(0xaa, ctx.in(0x60));
        assertFalse(irq1.level());

        ctx.out(0x60, 0xf2);
        assertEquals(List.of(0xfa, 0xab, 0x41), drain(), "identify, translated");
        command(0x60);
        ctx.out(0x60, 0x05); // translation off
        ctx.out(0x60, 0xf2);
        assertEquals(List.of(0xfa, 0xab, 0x83), drain());
        ctx.out(0x60, 0xed);
        ctx.out(0x60, 0x07);
        assertEquals(List.of(0xfa, 0xfa), drain());
        ctx.out(0x60, 0xf0);
        ctx.out(0x60, 0x00);
        assertEquals(List.of(0xfa, 0xfa, 0x02), drain(), "get scancode set");
        ctx.out(0x60, 0xee);
        assertEquals(List.of(0xee), drain());
        ctx.out(0x60, 0x42);
        assertEquals(List.of(0xfe), drain());
    }

    @Test
    void irq1FollowsCommandByteEnable() {
        command(0x60);
        ctx.out(0x60, 0x44);
        ctx.out(0x60, 0xf4);
        assertFalse(irq1.level());
        assertEquals(1, ctx.in(0x64) & 1);
        command(0x60);
        ctx.out(0x60, 0x45);
        assertTrue(irq1.level());
    }

    @Test
    void auxLoopbackAndMouseUseIrq12() {
        command(0x60);
        ctx.out(0x60, 0x47);
        command(0xd3);
        ctx.out(0x60, 0x5a);
        assertEquals(0x21, ctx.in(0x64) & 0x21, "aux data");
        assertTrue(irq12.level());
        assertFalse(irq1.level());
        assertEquals(0x5a, ctx.in(0x60));
        command(0xd4);
        ctx.out(0x60, 0xff);
        assertEquals(List.of(0xfa, 0xaa, 0x00), drain());
        command(0xd4);
        ctx.out(0x60, 0xf2);
        assertEquals(List.of(0xfa, 0x00), drain());
        command(0xd4);
        ctx.out(0x60, 0xf3);
        command(0xd4);
        ctx.out(0x60, 200);
        command(0xd4);
        ctx.out(0x60, 0xf4);
        command(0xd4);
        ctx.out(0x60, 0xe9);
        assertEquals(List.of(0xfa, 0xfa, 0xfa, 0xfa, 0x20, 0x02, 200), drain());
    }

    @Test
    void pulseResetAndOutputPort() {
        command(0xfe);
        assertEquals(List.of("i8042 reset"), ctx.resets);
        command(0xff);
        assertEquals(1, ctx.resets.size(), "0xFF pulses nothing");
        command(0xd1);
        ctx.out(0x60, 0xdd);
        assertFalse(kbc.a20());
        assertFalse(ctx.line("a20", 0).level(), "output port bit 1 drives the A20 gate line");
        command(0xd0);
        assertEquals(List.of(0xdd), drain());
        command(0xd1);
        ctx.out(0x60, 0xdf);
        assertTrue(kbc.a20());
        assertTrue(ctx.line("a20", 0).level());
        command(0xdd);
        assertFalse(ctx.line("a20", 0).level(), "0xDD closes the gate");
        command(0xdf);
        assertTrue(ctx.line("a20", 0).level(), "0xDF opens it");
        assertEquals(1, ctx.resets.size());
        command(0xd1);
        ctx.out(0x60, 0x02);
        assertEquals(2, ctx.resets.size(), "output port bit 0 low asserts reset");
    }

    @Test
    void emptyBufferRereadsLastByte() {
        command(0xaa);
        assertEquals(0x55, ctx.in(0x60));
        assertEquals(0x55, ctx.in(0x60));
    }

    @Test
    void stateRoundTripKeepsQueueAndPendingCommand() {
        command(0x60);
        ctx.out(0x60, 0x47);
        ctx.out(0x60, 0xff);
        command(0xd3);
        ctx.out(0x60, 0x11);
        ctx.out(0x60, 0xed); // keyboard waits for the LED byte
        command(0xd4);       // controller waits for a mouse byte
        I8042.State saved = StateRoundTrip.viaJson(kbc);

        FakeContext ctx2 = new FakeContext();
        I8042 kbc2 = (I8042) FakeContext.create(new I8042Type(), ctx2, Map.of());
        kbc2.realize();
        kbc2.loadState(saved);
        assertTrue(ctx2.line("isa", 1).level());
        ctx2.out(0x60, 0xf2);
        ctx = ctx2;
        assertEquals(List.of(0xfa, 0xaa, 0x11, 0xfa, 0xfa, 0x00), drain());
        ctx2.out(0x60, 0x02);
        assertEquals(List.of(0xfa), drain(), "keyboard took the LED byte");
        assertEquals(saved.ram()[0], 0x47);
    }

    /** What Linux's i8042 driver checks before registering its ports: no mux, a working aux port. */
    @Test
    void linuxProbeSequence() {
        command(0xaa);
        assertEquals(List.of(0x55), drain());
        command(0x20);
        int ctr = drain().get(0);
        command(0x60);
        ctx.out(0x60, ctr & ~0x03); // interrupts off while probing
        for (int v : new int[] {0xf0, 0x56}) {
            command(0xd3);
            ctx.out(0x60, v);
            assertEquals(0x21, ctx.in(0x64) & 0x21);
            assertEquals(List.of(v), drain());
        }
        command(0xd3);
        ctx.out(0x60, 0xa4);
        assertEquals(List.of(0xa4), drain(), "echoing 0xa4 means: not an active multiplexer");
        command(0xa7);
        command(0x20);
        assertEquals(0x20, drain().get(0) & 0x20);
        command(0xa8);
        command(0x20);
        assertEquals(0, drain().get(0) & 0x20);
        command(0x60);
        ctx.out(0x60, (ctr & ~0x30) | 0x02);
        int before = irq12.rises;
        command(0xd3);
        ctx.out(0x60, 0xa5);
        assertEquals(before + 1, irq12.rises, "aux IRQ delivery test");
        assertEquals(List.of(0xa5), drain());
    }
}
