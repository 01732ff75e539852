package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.device.PowerButton;
import org.machina.api.machine.MachineState;

/** Machine.powerButton(): the registered device decides; without one, or refused, the machine powers off. */
class PowerButtonTest {
    MachineImpl m;

    @BeforeEach
    void machine() {
        m = new MachineImpl("button", "{}", "none", 1 << 20, false);
        m.startThread();
        m.start();
    }

    @AfterEach
    void down() {
        m.shutdown("test over", 0);
    }

    private void install(PowerButton b) {
        m.call(() -> {
            m.setPowerButton(b);
            return null;
        });
    }

    @Test
    void aListeningGuestGetsThePressAndKeepsRunning() throws Exception {
        AtomicInteger presses = new AtomicInteger();
        install(() -> presses.incrementAndGet() > 0);
        m.powerButton();
        m.call(() -> null); // the press was posted before this
        assertEquals(1, presses.get());
        assertEquals(MachineState.RUNNING, m.state());
    }

    @Test
    void aRefusedPressPowersOff() throws Exception {
        install(() -> false);
        m.powerButton();
        assertEquals(Optional.of(0), m.awaitShutdown(Duration.ofSeconds(30)));
        assertEquals("power button pressed (the guest has not enabled ACPI power button events)",
                m.shutdownReason().orElseThrow());
    }

    @Test
    void withoutAButtonThePressPowersOff() throws Exception {
        m.powerButton();
        assertEquals(Optional.of(0), m.awaitShutdown(Duration.ofSeconds(30)));
        assertEquals("power button pressed (no ACPI on this board)", m.shutdownReason().orElseThrow());
    }

    @Test
    void oneButtonPerMachineAndItsRemovalRestoresTheDefault() throws Exception {
        PowerButton first = () -> true;
        install(first);
        assertThrows(IllegalStateException.class, () -> install(() -> true));
        m.call(() -> {
            m.clearPowerButton(first);
            return null;
        });
        m.powerButton();
        assertEquals(Optional.of(0), m.awaitShutdown(Duration.ofSeconds(30)));
    }
}
