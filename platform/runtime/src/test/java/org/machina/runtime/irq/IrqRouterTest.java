package org.machina.runtime.irq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;

class IrqRouterTest {
    private final IrqRouter router = new IrqRouter();
    private final List<String> seen = new ArrayList<>();
    private final IrqSink sink = new IrqSink() {
        @Override
        public int inputs() {
            return 16;
        }

        @Override
        public void setInput(int index, boolean level) {
            seen.add(index + (level ? "+" : "-"));
        }
    };

    @Test
    void sharedInputIsTheOrOfItsLines() {
        router.register("isa", sink);
        IrqLine com1 = router.line("isa", 4, "serial0");
        IrqLine com3 = router.line("isa", 4, "serial2");
        com1.raise();
        com3.raise();
        com1.lower();
        com3.lower();
        assertEquals(List.of("4+", "4-"), seen);
    }

    @Test
    void levelsAreReplayedIntoALateOrSwappedSink() {
        IrqLine l = router.line("isa", 8, "rtc");
        l.raise();
        router.register("isa", sink);
        assertEquals(List.of("8+"), seen);
        router.unregister("isa", sink);
        assertSame(l, router.line("isa", 8, "rtc"), "a device keeps its line across a swap");
        router.register("isa", sink);
        assertEquals(List.of("8+", "8+"), seen);
        assertThrows(IllegalStateException.class, () -> router.register("isa", new IrqSink() {
            @Override
            public int inputs() {
                return 1;
            }

            @Override
            public void setInput(int index, boolean level) {
            }
        }));
    }

    @Test
    void releasingAnOwnerLowersItsLines() {
        router.register("isa", sink);
        router.line("isa", 3, "serial1").raise();
        router.releaseOwner("serial1");
        assertEquals(List.of("3+", "3-"), seen);
    }
}
