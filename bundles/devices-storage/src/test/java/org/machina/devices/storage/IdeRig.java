package org.machina.devices.storage;

import org.machina.api.irq.IrqLine;
import org.slf4j.LoggerFactory;

/**
 * One IDE channel with its bus master over {@link FakeRam}, an INTRQ that records its level and
 * rising edges, and port helpers at the channel's offsets (command block 0-7, control block).
 */
final class IdeRig {
    final FakeRam ram = new FakeRam(1 << 20);
    final Warnings warnings = new Warnings(LoggerFactory.getLogger("test.ide"), "IDE test: ");
    boolean busMastering = true;
    boolean irq;
    int irqEdges;
    final IdeChannel channel;

    IdeRig() {
        IrqLine line = new IrqLine() {
            @Override
            public void set(boolean level) {
                if (level && !irq) {
                    irqEdges++;
                }
                irq = level;
            }

            @Override
            public boolean level() {
                return irq;
            }
        };
        channel = new IdeChannel("ide.0", line, new IdeBusMaster(ram, "ide.0", warnings), () -> busMastering, warnings);
    }

    int in(int offset) {
        return (int) PiixIde.readCommandBlock(channel, offset, 1);
    }

    int inw() {
        return (int) PiixIde.readCommandBlock(channel, 0, 2);
    }

    int inl() {
        return (int) PiixIde.readCommandBlock(channel, 0, 4);
    }

    void out(int offset, int value) {
        PiixIde.writeCommandBlock(channel, offset, 1, value);
    }

    void outw(int value) {
        PiixIde.writeCommandBlock(channel, 0, 2, value);
    }

    int altStatus() {
        return channel.readAltStatus();
    }

    void control(int value) {
        channel.writeControl(value);
    }

    /** Selects the device and issues an LBA28 command. */
    void lba28(int unit, long lba, int count, int command) {
        out(6, 0xE0 | unit << 4 | (int) (lba >>> 24 & 0x0F));
        out(2, count);
        out(3, (int) lba);
        out(4, (int) (lba >>> 8));
        out(5, (int) (lba >>> 16));
        out(7, command);
    }

    /** Issues an LBA48 command (previous bytes first, as the host writes them). */
    void lba48(int unit, long lba, int count, int command) {
        out(6, 0x40 | unit << 4);
        out(2, count >> 8);
        out(3, (int) (lba >>> 24));
        out(4, (int) (lba >>> 32));
        out(5, (int) (lba >>> 40));
        out(2, count);
        out(3, (int) lba);
        out(4, (int) (lba >>> 8));
        out(5, (int) (lba >>> 16));
        out(7, command);
    }

    /** Reads {@code bytes} through the data port, 16 bits at a time. */
    byte[] readData(int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i += 2) {
            int w = inw();
            b[i] = (byte) w;
            b[i + 1] = (byte) (w >> 8);
        }
        return b;
    }

    void writeData(byte[] b) {
        for (int i = 0; i < b.length; i += 2) {
            outw(b[i] & 0xFF | (b[i + 1] & 0xFF) << 8);
        }
    }

    /** Writes a PRD table at {@code table}: pairs of (address, byte count), the last with EOT. */
    void prd(int table, long... entries) {
        for (int i = 0; i < entries.length; i += 2) {
            ram.write(table + 4L * i, 4, entries[i]);
            boolean last = i + 2 >= entries.length;
            ram.write(table + 4L * i + 4, 4, (entries[i + 1] & 0xFFFF) | (last ? 0x8000_0000L : 0));
        }
    }

    /** Programs the bus master: table address and direction, then the start bit. */
    void startDma(int table, boolean toMemory) {
        IdeBusMaster bm = channel.busMaster;
        for (int i = 0; i < 4; i++) {
            bm.write(4 + i, table >>> 8 * i & 0xFF);
        }
        bm.write(0, toMemory ? IdeBusMaster.CMD_TO_MEMORY : 0);
        if (bm.write(0, IdeBusMaster.CMD_START | (toMemory ? IdeBusMaster.CMD_TO_MEMORY : 0))) {
            channel.busMasterStarted();
        }
    }
}
