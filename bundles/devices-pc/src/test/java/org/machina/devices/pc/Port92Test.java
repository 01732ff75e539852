package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Port92Test {
    private FakeContext ctx;
    private Port92 port;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        port = (Port92) FakeContext.create(new Port92Type(), ctx, Map.of());
        port.realize();
    }

    @Test
    void a20BitIsStoredAndReadBack() {
        assertEquals(List.of("port92@0x92"), ctx.io.layout());
        ctx.out(0x92, 0x02);
        assertEquals(0x02, ctx.in(0x92));
        assertTrue(port.a20());
        assertTrue(ctx.line("a20", 0).level(), "the bit drives the A20 gate line");
        ctx.out(0x92, 0x00);
        assertFalse(port.a20());
        assertFalse(ctx.line("a20", 0).level());
        assertTrue(ctx.resets.isEmpty());
    }

    @Test
    void fastResetOnRisingBit0() {
        ctx.out(0x92, 0x03);
        assertEquals(List.of("port 0x92 fast reset"), ctx.resets);
        assertEquals(0x02, ctx.in(0x92), "reset bit reads back 0");
        ctx.out(0x92, 0x03);
        assertEquals(2, ctx.resets.size(), "bit 0 reads as 0, so writing 1 again is a new edge");
    }

    @Test
    void stateRoundTrip() {
        ctx.out(0x92, 0x02);
        Port92.State saved = StateRoundTrip.viaJson(port);
        FakeContext ctx2 = new FakeContext();
        Port92 p2 = (Port92) FakeContext.create(new Port92Type(), ctx2, Map.of());
        p2.realize();
        p2.loadState(saved);
        assertEquals(0x02, ctx2.in(0x92));
        p2.reset();
        assertEquals(0x00, ctx2.in(0x92));
    }
}
