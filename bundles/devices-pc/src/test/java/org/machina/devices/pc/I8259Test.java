package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.device.Device;
import org.machina.api.irq.IrqLine;

class I8259Test {
    private FakeContext ctx;
    private I8259 pic;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        pic = (I8259) FakeContext.create(new I8259Type(), ctx, Map.of());
        pic.realize();
        initLikeLinux(ctx);
    }

    /** The initialization sequence Linux's init_8259A uses: master at 0x30, slave at 0x38. */
    static void initLikeLinux(FakeContext ctx) {
        init(ctx, 0x01);
    }

    /** Linux's sequence (vectors 0x30 and 0x38, slave on input 2) with ICW4 {@code icw4} for both chips. */
    static void init(FakeContext ctx, int icw4) {
        ctx.out(0x21, 0xff);
        ctx.out(0xa1, 0xff);
        ctx.out(0x20, 0x11);
        ctx.out(0x21, 0x30);
        ctx.out(0x21, 0x04);
        ctx.out(0x21, icw4);
        ctx.out(0xa0, 0x11);
        ctx.out(0xa1, 0x38);
        ctx.out(0xa1, 0x02);
        ctx.out(0xa1, icw4);
        ctx.out(0x21, 0x00);
        ctx.out(0xa1, 0x00);
    }

    @Test
    void mapsPortsAndRegistersAsIsaSink() {
        assertEquals(java.util.List.of("pic-master@0x20", "pic-slave@0xa0", "elcr@0x4d0"), ctx.io.layout());
        assertTrue(ctx.sinks.get("isa") == pic);
        assertEquals(16, pic.inputs());
    }

    @Test
    void edgeOnMasterInputRaisesIntrAndAcknowledgeGivesVector() {
        IrqLine timer = ctx.irq("isa", 0);
        timer.raise();
        assertTrue(ctx.cpuPin.level());
        assertEquals(0x01, ctx.in(0x20), "IRR shows the request");
        assertEquals(0x30, ctx.ack.acknowledge());
        assertFalse(ctx.cpuPin.level());
        ctx.out(0x20, 0x0b); // OCW3 read ISR
        assertEquals(0x01, ctx.in(0x20));
        ctx.out(0x20, 0x20); // non-specific EOI
        assertEquals(0x00, ctx.in(0x20));
        timer.lower();
        timer.raise();
        assertTrue(ctx.cpuPin.level(), "a new edge requests again");
    }

    @Test
    void edgeInputHeldHighRequestsOnlyOnce() {
        IrqLine l = ctx.irq("isa", 3);
        l.raise();
        assertEquals(0x33, ctx.ack.acknowledge());
        ctx.out(0x20, 0x20);
        l.raise();
        assertFalse(ctx.cpuPin.level());
    }

    @Test
    void slaveInterruptCascadesThroughIrq2() {
        ctx.irq("isa", 8).raise();
        assertTrue(ctx.cpuPin.level());
        assertEquals(0x38, ctx.ack.acknowledge());
        ctx.out(0xa0, 0x0b);
        ctx.out(0x20, 0x0b);
        assertEquals(0x01, ctx.in(0xa0), "slave ISR bit 0");
        assertEquals(0x04, ctx.in(0x20), "master ISR bit 2");
        ctx.irq("isa", 12).raise();
        assertFalse(ctx.cpuPin.level(), "lower-priority slave input waits for EOI");
        ctx.out(0xa0, 0x20);
        ctx.out(0x20, 0x20);
        assertTrue(ctx.cpuPin.level());
        assertEquals(0x3c, ctx.ack.acknowledge());
    }

    @Test
    void priorityAndNesting() {
        ctx.irq("isa", 4).raise();
        assertEquals(0x34, ctx.ack.acknowledge());
        ctx.irq("isa", 6).raise();
        assertFalse(ctx.cpuPin.level(), "IRQ6 is below IRQ4 in service");
        ctx.irq("isa", 1).raise();
        assertTrue(ctx.cpuPin.level(), "IRQ1 nests above IRQ4");
        assertEquals(0x31, ctx.ack.acknowledge());
        ctx.out(0x20, 0x20); // EOI for IRQ1 (highest in service)
        ctx.out(0x20, 0x20); // EOI for IRQ4
        assertEquals(0x36, ctx.ack.acknowledge());
    }

    @Test
    void maskBlocksAndReadsBack() {
        ctx.out(0x21, 0x10);
        assertEquals(0x10, ctx.in(0x21));
        ctx.irq("isa", 4).raise();
        assertFalse(ctx.cpuPin.level());
        ctx.out(0x21, 0x00);
        assertTrue(ctx.cpuPin.level());
    }

    @Test
    void spuriousAcknowledgeReturnsIrq7() {
        assertEquals(0x37, ctx.ack.acknowledge());
        ctx.out(0x20, 0x0b);
        assertEquals(0, ctx.in(0x20), "spurious IRQ7 sets no ISR bit");
        // A level request withdrawn before INTA leaves nothing pending: spurious IRQ7 again.
        ctx.out(0x4d1, 0x02);
        IrqLine l9 = ctx.irq("isa", 9);
        l9.raise();
        assertTrue(ctx.cpuPin.level());
        l9.lower();
        assertFalse(ctx.cpuPin.level());
        assertEquals(0x37, ctx.ack.acknowledge(), "nothing pending at the master any more");
    }

    @Test
    void levelTriggeredInputsFollowElcr() {
        ctx.out(0x4d0, 0xff);
        assertEquals(0xf8, ctx.in(0x4d0), "IRQ0-2 cannot be level triggered");
        ctx.out(0x4d1, 0xff);
        assertEquals(0xde, ctx.in(0x4d1));
        IrqLine l = ctx.irq("isa", 5);
        l.raise();
        assertEquals(0x35, ctx.ack.acknowledge());
        ctx.out(0x20, 0x20);
        assertTrue(ctx.cpuPin.level(), "a level input still high requests again after EOI");
        l.lower();
        assertFalse(ctx.cpuPin.level());
    }

    @Test
    void autoEoiLeavesNothingInService() {
        ctx.out(0x20, 0x11);
        ctx.out(0x21, 0x30);
        ctx.out(0x21, 0x04);
        ctx.out(0x21, 0x03); // 8086 mode, AEOI
        ctx.irq("isa", 3).raise();
        assertEquals(0x33, ctx.ack.acknowledge());
        ctx.out(0x20, 0x0b);
        assertEquals(0, ctx.in(0x20));
    }

    @Test
    void specificEoiAndRotation() {
        ctx.irq("isa", 0).raise();
        ctx.irq("isa", 1).raise();
        assertEquals(0x30, ctx.ack.acknowledge());
        ctx.out(0x20, 0xa0); // rotate on non-specific EOI: IRQ0 becomes lowest
        assertEquals(0x31, ctx.ack.acknowledge());
        ctx.out(0x20, 0x61); // specific EOI level 1
        ctx.out(0x20, 0x0b);
        assertEquals(0, ctx.in(0x20));
        ctx.irq("isa", 0).lower();
        ctx.irq("isa", 0).raise();
        ctx.irq("isa", 7).raise();
        assertEquals(0x37, ctx.ack.acknowledge(), "after rotation IRQ1 is highest, IRQ0 lowest: IRQ7 wins over IRQ0");
        ctx.out(0x20, 0xc4); // set priority: IRQ4 lowest
        ctx.out(0x20, 0x67);
        assertEquals(0x30, ctx.ack.acknowledge());
    }

    @Test
    void specialMaskModeAllowsLowerPriority() {
        ctx.irq("isa", 1).raise();
        assertEquals(0x31, ctx.ack.acknowledge());
        ctx.out(0x21, 0x02); // mask the in-service input
        ctx.out(0x20, 0x68); // OCW3: set special mask mode
        ctx.irq("isa", 5).raise();
        assertTrue(ctx.cpuPin.level());
        assertEquals(0x35, ctx.ack.acknowledge());
    }

    @Test
    void pollModeReturnsAndAcknowledgesHighestRequest() {
        ctx.irq("isa", 6).raise();
        ctx.out(0x20, 0x0c); // OCW3 poll
        assertEquals(0x86, ctx.in(0x20));
        ctx.out(0x20, 0x0b);
        assertEquals(0x40, ctx.in(0x20), "poll acknowledged IRQ6");
        ctx.out(0x20, 0x0c);
        ctx.out(0x20, 0x20);
        assertEquals(0x00, ctx.in(0x20), "no request: poll byte 0");
    }

    @Test
    void icw1ClearsMaskAndRequests() {
        ctx.out(0x21, 0xff);
        ctx.irq("isa", 3).raise();
        ctx.out(0x20, 0x11);
        ctx.out(0x21, 0x08);
        ctx.out(0x21, 0x04);
        ctx.out(0x21, 0x01);
        assertEquals(0, ctx.in(0x21));
        assertEquals(0, ctx.in(0x20));
        assertFalse(ctx.cpuPin.level());
        assertEquals(0x0f, ctx.ack.acknowledge(), "spurious with the new base 0x08");
    }

    @Test
    void stateRoundTripKeepsPendingAndInService() {
        ctx.out(0x4d1, 0x08);
        ctx.irq("isa", 4).raise();
        assertEquals(0x34, ctx.ack.acknowledge());
        ctx.irq("isa", 11).raise();
        ctx.irq("isa", 3).raise();
        I8259.State saved = StateRoundTrip.viaJson(pic);

        FakeContext ctx2 = new FakeContext();
        Device d = FakeContext.create(new I8259Type(), ctx2, Map.of());
        d.realize();
        I8259 pic2 = (I8259) d;
        pic2.loadState(saved);
        assertEquals(saved, pic2.saveState());
        assertTrue(ctx2.cpuPin.level());
        assertEquals(0x3b, ctx2.ack.acknowledge(), "level IRQ11 kept across the swap");
        pic2.setInput(11, false);
        ctx2.out(0xa0, 0x20);
        ctx2.out(0x20, 0x20);
        assertEquals(0x33, ctx2.ack.acknowledge());
        ctx2.out(0x20, 0x0b);
        assertEquals(0x18, ctx2.in(0x20), "IRQ4 still in service from before the swap, IRQ3 now too");
        assertEquals(0x08, ctx2.in(0x4d1));
    }

    @Test
    void resetRestoresPowerOnState() {
        ctx.out(0x21, 0x55);
        pic.reset();
        assertEquals(0, ctx.in(0x21));
        assertEquals(0x07, ctx.ack.acknowledge());
    }

    @Test
    void specialFullyNestedModeLetsHigherSlaveInputsThrough() {
        ctx.out(0x20, 0x11);
        ctx.out(0x21, 0x30);
        ctx.out(0x21, 0x04);
        ctx.out(0x21, 0x11); // SFNM
        ctx.irq("isa", 12).raise();
        assertEquals(0x3c, ctx.ack.acknowledge());
        ctx.irq("isa", 9).raise();
        assertTrue(ctx.cpuPin.level(), "IRQ9 outranks IRQ12 in the slave although master IR2 is in service");
        assertEquals(0x39, ctx.ack.acknowledge());
    }

    @Test
    void withoutSpecialFullyNestedASecondSlaveRequestWaits() {
        ctx.irq("isa", 12).raise();
        assertEquals(0x3c, ctx.ack.acknowledge());
        ctx.irq("isa", 9).raise();
        assertFalse(ctx.cpuPin.level());
    }
}
