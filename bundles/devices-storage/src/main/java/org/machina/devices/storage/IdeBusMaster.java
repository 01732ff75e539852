package org.machina.devices.storage;

import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.Translation;

/**
 * The bus-master IDE registers of one channel (PIIX3/PIIX4 datasheet, "Bus Master IDE I/O
 * Registers"), at BAR4 + 0 (primary) or + 8 (secondary), and the walk of its physical region
 * descriptor table.
 *
 * <pre>
 * +0 BMICX command  bit 0 start/stop bus master, bit 3 direction (1: the device writes memory)
 * +2 BMISX status   bit 0 active (RO), bit 1 DMA error (write 1 to clear), bit 2 interrupt
 *                   (write 1 to clear), bits 5/6 drive 0/1 DMA capable (RW), bit 7 simplex (0)
 * +4 BMIDTPX        PRD table address, dword aligned (bits 1:0 read 0)
 * </pre>
 *
 * A PRD entry is 8 bytes: the buffer's physical address (bit 0 is 0), then a dword whose bits
 * 15:1 are the byte count (0 means 64 KiB) and bit 31 marks the last entry (EOT). The table of one
 * transfer is bounded to {@value #MAX_ENTRIES} entries (the 64 KiB the PIIX allows it); a table
 * without EOT in that many entries, or an entry or buffer outside RAM, ends the transfer with
 * the error bit set, logged once per channel.
 */
final class IdeBusMaster {
    static final int CMD_START = 0x01;
    static final int CMD_TO_MEMORY = 0x08;
    static final int ST_ACTIVE = 0x01;
    static final int ST_ERROR = 0x02;
    static final int ST_INTERRUPT = 0x04;
    static final int ST_CAPABLE = 0x60;
    static final int MAX_ENTRIES = 8192;

    /** How a transfer ended. */
    enum Result {
        /** All data moved and the table ended with it: active cleared, interrupt set. */
        EXACT,
        /** All data moved, the table had room left: active stays set, interrupt set. */
        TABLE_LONGER,
        /** The table ended before the data: active cleared, interrupt clear. */
        TABLE_SHORTER,
        /** A bad table or buffer: error and interrupt set, active cleared. */
        ERROR
    }

    private final AddressSpace memory;
    private final String name;
    private final Warnings warnings;
    int command;
    int status;
    int prdt;

    IdeBusMaster(AddressSpace memory, String name, Warnings warnings) {
        this.memory = memory;
        this.name = name;
        this.warnings = warnings;
    }

    void reset() {
        command = 0;
        status = 0;
        prdt = 0;
    }

    boolean started() {
        return (command & CMD_START) != 0;
    }

    boolean toMemory() {
        return (command & CMD_TO_MEMORY) != 0;
    }

    int read(int offset) {
        return switch (offset) {
            case 0 -> command;
            case 2 -> status;
            case 4, 5, 6, 7 -> prdt >>> 8 * (offset - 4) & 0xFF;
            default -> 0;
        };
    }

    /** A byte write; returns true when the write set the start bit (0 to 1). */
    boolean write(int offset, int value) {
        switch (offset) {
            case 0 -> {
                boolean wasStarted = started();
                command = value & (CMD_START | CMD_TO_MEMORY);
                if (started() && !wasStarted) {
                    status |= ST_ACTIVE;
                    return true;
                }
                if (!started()) {
                    status &= ~ST_ACTIVE;
                }
            }
            case 2 -> status = status & ~(value & (ST_ERROR | ST_INTERRUPT)) & ~ST_CAPABLE | value & ST_CAPABLE;
            case 4, 5, 6, 7 -> {
                int shift = 8 * (offset - 4);
                prdt = (prdt & ~(0xFF << shift) | (value & 0xFF) << shift) & ~3;
            }
            default -> { }
        }
        return false;
    }

    /**
     * Moves {@code length} bytes between {@code data} and the buffers of the PRD table, to memory
     * when {@code toMemory}, and sets the status bits for the result.
     */
    Result transfer(byte[] data, int length, boolean toMemory) {
        Result r = walk(data, length, toMemory);
        switch (r) {
            case EXACT -> status = status & ~ST_ACTIVE | ST_INTERRUPT;
            case TABLE_LONGER -> status |= ST_INTERRUPT;
            case TABLE_SHORTER -> status &= ~ST_ACTIVE;
            case ERROR -> status = status & ~ST_ACTIVE | ST_ERROR | ST_INTERRUPT;
        }
        return r;
    }

    private Result walk(byte[] data, int length, boolean toMemory) {
        long entry = prdt & 0xFFFFFFFFL;
        int done = 0;
        for (int i = 0; i < MAX_ENTRIES; i++, entry += 8) {
            if (!isRam(entry, 8)) {
                warnings.warn("{}", name + ": PRD entry at 0x" + Long.toHexString(entry) + " is not in RAM; the DMA"
                        + " transfer ends with an error");
                return Result.ERROR;
            }
            long address = memory.read(entry, 4) & 0xFFFFFFFEL;
            int control = (int) memory.read(entry + 4, 4);
            int count = control & 0xFFFE;
            if (count == 0) {
                count = 0x10000;
            }
            boolean last = control < 0;
            int n = Math.min(count, length - done);
            if (n > 0) {
                if (!isRam(address, n)) {
                    warnings.warn("{}", name + ": PRD buffer 0x" + Long.toHexString(address) + "+" + n + " is not in RAM;"
                            + " the DMA transfer ends with an error");
                    return Result.ERROR;
                }
                if (toMemory) {
                    memory.write(address, data, done, n);
                } else {
                    memory.read(address, data, done, n);
                }
                done += n;
            }
            if (done == length) {
                return last && n == count ? Result.EXACT : Result.TABLE_LONGER;
            }
            if (last) {
                return Result.TABLE_SHORTER;
            }
        }
        warnings.warn("{}", name + ": PRD table at 0x" + Integer.toHexString(prdt) + " has no end-of-table mark in "
                + MAX_ENTRIES + " entries; the DMA transfer ends with an error");
        return Result.ERROR;
    }

    /** Whether {@code [address, address + length)} is all RAM. */
    private boolean isRam(long address, long length) {
        long end = address + length;
        if (address < 0 || end > memory.limit()) {
            return false;
        }
        for (long at = address; at < end; ) {
            Translation t = memory.translate(at);
            if (t == null || !t.isRam() || t.end() <= at) {
                return false;
            }
            at = t.end();
        }
        return true;
    }
}
