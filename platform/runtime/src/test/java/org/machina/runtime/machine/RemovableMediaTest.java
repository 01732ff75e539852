package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.api.block.BlockNode;
import org.machina.api.block.RemovableMedium;

/** The machine's table of CD-ROM media: names, the guest's lock, what a change does to the drive map. */
class RemovableMediaTest {
    /** A drive that records what the runtime asks of it. */
    static final class Tray implements RemovableMedium {
        boolean locked;
        boolean open;
        BlockNode medium;
        int ejectRequests;

        @Override
        public boolean locked() {
            return locked;
        }

        @Override
        public boolean trayOpen() {
            return open;
        }

        @Override
        public BlockNode medium() {
            return medium;
        }

        @Override
        public BlockNode eject() {
            BlockNode old = medium;
            medium = null;
            open = true;
            return old;
        }

        @Override
        public void insert(BlockNode m) {
            medium = m;
            open = false;
        }

        @Override
        public void ejectRequested() {
            ejectRequests++;
        }
    }

    static BlockNode node(String name) {
        return new BlockNode() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public long size() {
                return 2048;
            }

            @Override
            public boolean readOnly() {
                return true;
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
            }

            @Override
            public void write(long offset, ByteBuffer src) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void ejectAndChangeByDriveOrDeviceIdRespectTheGuestsLock() {
        RemovableMedia media = new RemovableMedia();
        Tray tray = new Tray();
        BlockNode first = node("first");
        tray.medium = first;
        media.register("drive2", "cd0", tray, "ide1-cd0");
        assertEquals("drive2", media.drive("cd0"), "the device id names its drive");
        assertEquals("drive2", media.drive("ide1-cd0"), "and so does QEMU's name for it");
        assertEquals("drive2", media.drive("drive2"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> media.eject("hd0", false));
        assertTrue(unknown.getMessage().startsWith("Device 'hd0' not found") && unknown.getMessage().contains("removable drives: drive2 (device cd0, also ide1-cd0)"),
                unknown.getMessage());

        tray.locked = true;
        IllegalStateException locked = assertThrows(IllegalStateException.class, () -> media.eject("cd0", false));
        assertTrue(locked.getMessage().contains("is locked and force was not specified"), locked.getMessage());
        assertEquals(1, tray.ejectRequests, "the guest is asked to eject");
        assertSame(first, tray.medium, "nothing changed");
        media.eject("cd0", true);
        assertNull(tray.medium);
        assertTrue(tray.open);

        Map<String, BlockNode> drives = new HashMap<>(Map.of("drive2", first));
        BlockNode second = node("second");
        assertThrows(IllegalStateException.class, () -> media.change("ide1-cd0", second, false, drives));
        assertSame(first, drives.get("drive2"));
        tray.locked = false;
        media.change("ide1-cd0", second, false, drives);
        assertSame(second, tray.medium);
        assertTrue(!tray.open, "the tray closes on the new medium");
        assertSame(second, drives.get("drive2"), "the drive id names the new image");

        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> media.register("drive2", "cd1", new Tray()));
        assertTrue(twice.getMessage().contains("device 'cd0'"), twice.getMessage());
        media.unregister("drive2", tray);
        assertThrows(IllegalArgumentException.class, () -> media.drive("cd0"));
    }
}
