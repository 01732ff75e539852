package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.machine.MachineState;

/** Pause reasons: a hot-swap holds the machine exclusively; cont releases only what a user may. */
class PauseHoldsTest {
    MachineImpl m;

    @BeforeEach
    void machine() {
        m = new MachineImpl("holds", "{}", "none", 1 << 20, false);
        m.startThread();
    }

    @AfterEach
    void down() {
        m.shutdown("test over", 0);
    }

    private void swapHold() {
        m.call(() -> {
            m.pauseForSwap();
            return null;
        });
    }

    private void swapRelease() {
        m.call(() -> {
            m.resumeAfterSwap();
            return null;
        });
    }

    @Test
    void contDuringASwapIsRefusedAndTheSwapResumesTheMachine() {
        m.start();
        swapHold();
        assertEquals(MachineState.PAUSED, m.state());
        IllegalStateException e = assertThrows(IllegalStateException.class, m::resume);
        assertEquals("cannot resume machine 'holds': it is paused for a hot-swap in progress; try again when it ends",
                e.getMessage());
        assertEquals(MachineState.PAUSED, m.state());
        assertEquals(Set.of(MachineImpl.HOT_SWAP), m.pauseReasons());
        swapRelease();
        assertEquals(MachineState.RUNNING, m.state());
        assertEquals(Set.of(), m.pauseReasons());
    }

    @Test
    void resetAndDeviceChangesWaitForTheSwap() {
        m.start();
        swapHold();
        assertThrows(IllegalStateException.class, () -> m.reset("test"));
        assertThrows(IllegalStateException.class, () -> m.removeDevice("nothing"));
        assertThrows(IllegalStateException.class, () -> m.addDevice("tick-counter", "t", Map.of()));
        assertThrows(IllegalStateException.class, m::saveStates);
        assertThrows(IllegalStateException.class, this::swapHold, "one swap at a time");
        swapRelease();
        assertEquals(MachineState.RUNNING, m.state());
    }

    @Test
    void aMachineTheUserPausedStaysPausedAfterTheSwap() {
        m.start();
        m.pause("host-qmp-stop");
        swapHold();
        swapRelease();
        assertEquals(MachineState.PAUSED, m.state());
        assertEquals(Set.of("host-qmp-stop"), m.pauseReasons());
        m.resume();
        assertEquals(MachineState.RUNNING, m.state());
    }

    @Test
    void aMachineNeverStartedIsNotStartedByASwap() {
        swapHold();
        swapRelease();
        assertEquals(MachineState.CREATED, m.state());
        m.start();
        assertEquals(MachineState.RUNNING, m.state());
    }

    @Test
    void contReleasesEveryUserHold() {
        m.start();
        m.pause("host-qmp-stop");
        m.pause("debug");
        assertTrue(m.pauseReasons().containsAll(Set.of("host-qmp-stop", "debug")));
        m.resume();
        assertEquals(MachineState.RUNNING, m.state());
    }
}
