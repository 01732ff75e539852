package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Uart16550Test {
    private static final int COM1 = 0x3f8;
    /** One 8N1 character at 115200 baud. */
    private static final long CHAR = 20L * 16 * 1_000_000_000L / 3_686_400;
    private FakeContext ctx;
    private FakeCharBackend backend;
    private Uart16550 uart;
    private FakeIrqLine irq4;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        backend = ctx.backend("ser0");
        uart = (Uart16550) FakeContext.create(new IsaSerialType(), ctx, Map.of("chardev", "ser0", "paced", "true"));
        uart.realize();
        uart.reset();
        irq4 = ctx.line("isa", 4);
        setBaud115200();
    }

    private void setBaud115200() {
        ctx.out(COM1 + 3, 0x80);
        ctx.out(COM1, 1);
        ctx.out(COM1 + 1, 0);
        ctx.out(COM1 + 3, 0x03);
    }

    private String output() {
        return backend.output.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void portsAndIrqFollowIndexOrOverrides() {
        assertEquals(List.of("serial@3f8@0x3f8"), ctx.io.layout());
        FakeContext c2 = new FakeContext();
        FakeContext.create(new IsaSerialType(), c2, Map.of("index", "1")).realize();
        assertEquals(List.of("serial@2f8@0x2f8"), c2.io.layout());
        FakeContext c3 = new FakeContext();
        FakeContext.create(new IsaSerialType(), c3, Map.of("index", "3", "iobase", "0x500", "irq", "9")).realize();
        assertEquals(List.of("serial@500@0x500"), c3.io.layout());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FakeContext.create(new IsaSerialType(), new FakeContext(), Map.of("index", "4")));
        assertTrue(e.getMessage().contains("0-3"), e.getMessage());
    }

    @Test
    void divisorLatchAndScratch() {
        ctx.out(COM1 + 3, 0x83);
        ctx.out(COM1, 0x34);
        ctx.out(COM1 + 1, 0x12);
        assertEquals(0x34, ctx.in(COM1));
        assertEquals(0x12, ctx.in(COM1 + 1));
        ctx.out(COM1 + 3, 0x03);
        ctx.out(COM1 + 7, 0xa5);
        assertEquals(0xa5, ctx.in(COM1 + 7));
        assertEquals(0x03, ctx.in(COM1 + 3));
    }

    @Test
    void characterTimeFollowsLineSettings() {
        assertEquals(CHAR, uart.characterNanos());
        ctx.out(COM1 + 3, 0x80);
        ctx.out(COM1, 12); // 9600
        ctx.out(COM1 + 3, 0x1f); // 8 data, even parity, 2 stop bits
        assertEquals(12L * 24 * 16 * 1_000_000_000L / 3_686_400, uart.characterNanos());
    }

    @Test
    void transmitSetsThreAfterTheCharacterTime() {
        assertEquals(0x60, ctx.in(COM1 + 5));
        ctx.out(COM1, 'A');
        assertEquals("A", output());
        assertEquals(0x00, ctx.in(COM1 + 5) & 0x60);
        ctx.executor.advance(CHAR - 1);
        assertEquals(0x00, ctx.in(COM1 + 5) & 0x60);
        ctx.executor.advance(1);
        assertEquals(0x60, ctx.in(COM1 + 5) & 0x60);
    }

    @Test
    void threInterruptOnEnableAndAfterTransmit() {
        ctx.out(COM1 + 1, 0x02);
        assertTrue(irq4.level(), "enabling THRE interrupt with an empty THR interrupts");
        assertEquals(0x02, ctx.in(COM1 + 2));
        assertFalse(irq4.level(), "reading IIR clears THRE");
        assertEquals(0x01, ctx.in(COM1 + 2));
        ctx.out(COM1, 'x');
        ctx.executor.advance(CHAR);
        assertTrue(irq4.level());
        ctx.out(COM1, 'y');
        assertFalse(irq4.level(), "writing THR clears THRE");
    }

    @Test
    void fifoTransmitsOneCharacterPerCharacterTime() {
        ctx.out(COM1 + 2, 0x07);
        assertEquals(0xc0, ctx.in(COM1 + 2) & 0xc0, "16550A FIFO signature");
        for (char c : "0123456789abcdef".toCharArray()) {
            ctx.out(COM1, c);
        }
        assertEquals("0", output());
        ctx.executor.advance(3 * CHAR);
        assertEquals("0123", output());
        ctx.executor.advance(13 * CHAR - 1);
        assertEquals(0, ctx.in(COM1 + 5) & 0x40);
        ctx.executor.advance(1);
        assertEquals("0123456789abcdef", output());
        assertEquals(0x60, ctx.in(COM1 + 5) & 0x60);
    }

    @Test
    void receiveWithDataReadyInterrupt() {
        ctx.out(COM1 + 1, 0x01);
        backend.type("hi");
        assertEquals(1, ctx.in(COM1 + 5) & 1);
        assertTrue(irq4.level());
        assertEquals(0x04, ctx.in(COM1 + 2));
        assertEquals('h', ctx.in(COM1));
        assertTrue(irq4.level(), "non-FIFO mode: 'i' waited and arrives after 'h' is read");
        assertEquals('i', ctx.in(COM1));
        assertFalse(irq4.level());
        assertEquals(0, ctx.in(COM1 + 5) & 1);
    }

    @Test
    void triggerLevelAndCharacterTimeout() {
        ctx.out(COM1 + 2, 0x81); // FIFO, trigger 8
        ctx.out(COM1 + 1, 0x01);
        backend.type("1234567");
        assertFalse(irq4.level(), "below trigger level");
        ctx.executor.advance(4 * CHAR);
        assertTrue(irq4.level());
        assertEquals(0xcc, ctx.in(COM1 + 2), "character timeout");
        assertEquals('1', ctx.in(COM1));
        assertFalse(irq4.level(), "reading RBR clears the timeout");
        backend.type("89");
        assertTrue(irq4.level(), "8 bytes reach the trigger");
        assertEquals(0xc4, ctx.in(COM1 + 2));
    }

    @Test
    void backPressureWhenFifoIsFull() {
        ctx.out(COM1 + 2, 0x01);
        backend.type("abcdefghijklmnopqrst");
        assertEquals(4, backend.pendingInput.size(), "16 taken, 4 wait in the backend");
        assertEquals('a', ctx.in(COM1));
        assertEquals(3, backend.pendingInput.size());
        assertEquals(1, backend.acceptInputCalls);
        StringBuilder rest = new StringBuilder();
        while ((ctx.in(COM1 + 5) & 1) != 0) {
            rest.append((char) ctx.in(COM1));
        }
        assertEquals("bcdefghijklmnopqrst", rest.toString());
        assertEquals(0, ctx.in(COM1 + 5) & 0x02, "no overrun");
    }

    @Test
    void loopbackEchoesAndMirrorsModemLines() {
        ctx.out(COM1 + 4, 0x1a); // loop, OUT2, RTS
        assertEquals(0x90, ctx.in(COM1 + 6) & 0xf0);
        ctx.out(COM1, 0x55);
        assertEquals(0x55, ctx.in(COM1));
        assertEquals("", output(), "loopback sends nothing to the backend");
        backend.type("z");
        assertEquals(1, backend.pendingInput.size(), "no host input in loopback");
        ctx.out(COM1 + 4, 0x0b);
        assertEquals(0, backend.pendingInput.size(), "input flows again after loopback");
        assertEquals('z', ctx.in(COM1));
    }

    @Test
    void modemStatusInterruptOnDelta() {
        ctx.out(COM1 + 4, 0x10);
        ctx.in(COM1 + 6);
        ctx.out(COM1 + 1, 0x08);
        ctx.out(COM1 + 4, 0x12); // RTS -> CTS changes
        assertTrue(irq4.level());
        assertEquals(0x00, ctx.in(COM1 + 2));
        assertEquals(0x11, ctx.in(COM1 + 6), "CTS and DCTS");
        assertFalse(irq4.level());
        assertEquals(0x10, ctx.in(COM1 + 6));
    }

    @Test
    void overrunSetsLineStatusInterruptWithHighestPriority() {
        ctx.out(COM1 + 1, 0x07);
        ctx.in(COM1 + 2); // consume THRE
        backend.type("ab");
        uart.receive('c'); // a misbehaving backend ignoring canReceive
        assertEquals(0x06, ctx.in(COM1 + 2));
        assertEquals(0x03, ctx.in(COM1 + 5) & 0x03);
        assertEquals(0, ctx.in(COM1 + 5) & 0x02, "OE clears on read");
        assertEquals(0x04, ctx.in(COM1 + 2));
    }

    @Test
    void unconnectedPortDropsOutput() {
        FakeContext c = new FakeContext();
        Uart16550 u = (Uart16550) FakeContext.create(new IsaSerialType(), c, Map.of("paced", "true"));
        u.realize();
        c.out(COM1, 'q');
        c.executor.advance(10_000_000);
        assertEquals(0x60, c.in(COM1 + 5) & 0x60);
        assertEquals(0xb0, c.in(COM1 + 6));
    }

    @Test
    void stateRoundTripContinuesTransmissionAndKeepsInput() {
        ctx.out(COM1 + 2, 0x01);
        ctx.out(COM1 + 1, 0x03);
        backend.type("in");
        for (char c : "hello".toCharArray()) {
            ctx.out(COM1, c);
        }
        ctx.executor.advance(CHAR + CHAR / 2);
        assertEquals("he", output());
        Uart16550.State saved = StateRoundTrip.viaJson(uart);
        uart.unrealize();

        FakeExecutor exec2 = new FakeExecutor();
        exec2.setNow(ctx.executor.nanos());
        FakeContext ctx2 = new FakeContext(exec2);
        ctx2.chardevs.put("ser0", backend);
        Uart16550 uart2 = (Uart16550) FakeContext.create(new IsaSerialType(), ctx2, Map.of("chardev", "ser0", "paced", "true"));
        uart2.realize();
        uart2.loadState(saved);
        assertEquals(2 * CHAR, exec2.timer("uart-tx").deadline());
        exec2.advance(4 * CHAR);
        assertEquals("hello", output());
        assertEquals('i', ctx2.in(COM1));
        assertEquals('n', ctx2.in(COM1));
        assertTrue(ctx2.line("isa", 4).level(), "THRE pending after the last byte");
    }

    @Test
    void unpacedPortSendsAtOnce() {
        FakeContext c = new FakeContext();
        FakeCharBackend b = c.backend("s");
        Uart16550 u = (Uart16550) FakeContext.create(new IsaSerialType(), c, Map.of("chardev", "s", "paced", "false"));
        u.realize();
        c.out(COM1 + 1, 0x02);
        c.in(COM1 + 2);
        c.out(COM1, 'a');
        c.out(COM1, 'b');
        assertEquals("ab", b.output.toString(StandardCharsets.ISO_8859_1));
        assertEquals(0x60, c.in(COM1 + 5) & 0x60);
        assertTrue(c.line("isa", 4).level(), "THRE interrupt at once");
        assertFalse(c.executor.timer("uart-tx").isArmed());
    }

    /** The probe sequence of Linux's 8250 autoconfig, reduced to what decides the port type. */
    @Test
    void linuxAutoconfigSequenceSeesA16550A() {
        int b = COM1;
        int saved = ctx.in(b + 1);
        ctx.out(b + 1, 0);
        int scratch2 = ctx.in(b + 1) & 0x0f;
        ctx.out(b + 1, 0x0f);
        int scratch3 = ctx.in(b + 1) & 0x0f;
        ctx.out(b + 1, saved);
        assertEquals(0, scratch2);
        assertEquals(0x0f, scratch3);
        ctx.out(b + 4, 0x1a);
        assertEquals(0x90, ctx.in(b + 6) & 0xf0, "loopback modem lines");
        ctx.out(b + 4, 0);
        ctx.out(b + 3, 0xbf);
        ctx.out(b + 2, 0);
        ctx.out(b + 3, 0);
        ctx.out(b + 2, 0x01);
        assertEquals(3, ctx.in(b + 2) >> 6, "FIFO bits: a 16550A family member");
        ctx.out(b + 3, 0xbf);
        assertTrue(ctx.in(b + 2) != 0, "no EFR: not an ST16C650");
        ctx.out(b + 3, 0);
        ctx.out(b + 1, 0x40);
        assertEquals(0, ctx.in(b + 1) & 0x40, "no UUE bit: not an XScale UART");
        ctx.out(b + 2, 0x21);
        int status1 = ctx.in(b + 2) >> 5;
        ctx.out(b + 2, 0x01);
        ctx.out(b + 3, 0x80);
        ctx.out(b + 2, 0x21);
        int status2 = ctx.in(b + 2) >> 5;
        assertEquals(6, status1);
        assertEquals(6, status2, "no 64-byte FIFO: not a 16750");
    }
}
