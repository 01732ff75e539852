package org.machina.devices.net;

/**
 * The 82540EM's serial EEPROM (a 64-word Microwire part, 8254x manual section 5, "EEPROM
 * Interface"), reached by bit-banging EECD (SK, CS, DI, DO) or through EERD.
 *
 * <p>Contents: words 0..2 the Ethernet address (low byte first), word 0x0A initialization
 * control 1, and the checksum word 0x3F chosen so that words 0x00..0x3F sum to 0xBABA.
 *
 * <p>Microwire READ: with CS high, the driver clocks in (on SK rising edges) a start bit 1, the
 * opcode 10, and 6 address bits, MSB first; the part then drives a dummy 0 on DO and, on each
 * following rising edge, one data bit, MSB first, continuing into the next word. Other opcodes
 * (write, erase, enable) are clocked in and ignored: the EEPROM is read-only. CS low ends a command.
 */
final class E1000Eeprom {
    static final int WORDS = 64;
    static final int ADDRESS_BITS = 6;
    static final int CHECKSUM_WORD = 0x3F;
    static final int CHECKSUM_SUM = 0xBABA;

    // EECD bits
    static final int SK = 1;
    static final int CS = 1 << 1;
    static final int DI = 1 << 2;
    static final int DO = 1 << 3;
    static final int REQ = 1 << 6;
    static final int GNT = 1 << 7;
    static final int PRES = 1 << 8;

    private final int[] words = new int[WORDS];
    private int eecd;
    /** Bits clocked in since CS rose (start, opcode, address). */
    private int command;
    private int commandBits;
    /** Read phase: the word address and bits of it already shifted out. */
    private boolean reading;
    private int address;
    private int outBit;
    private boolean dataOut;

    E1000Eeprom(byte[] mac) {
        for (int i = 0; i < 3; i++) {
            words[i] = (mac[2 * i] & 0xFF) | (mac[2 * i + 1] & 0xFF) << 8;
        }
        words[0x0A] = 0x6404;      // init control 1: load subsystem ids, ... (driver ignores on 82540)
        words[0x0B] = 0x001E;      // subsystem id
        words[0x0C] = 0x8086;      // subsystem vendor
        words[0x0D] = 0x100E;      // device id
        words[0x0E] = 0x8086;      // vendor id
        words[0x0F] = 0x3040;      // init control 2
        int sum = 0;
        for (int i = 0; i < CHECKSUM_WORD; i++) {
            sum += words[i];
        }
        words[CHECKSUM_WORD] = (CHECKSUM_SUM - sum) & 0xFFFF;
    }

    int word(int index) {
        return index >= 0 && index < WORDS ? words[index] : 0xFFFF;
    }

    /** EECD as read: the driver's bits, DO from the part, present, and grant when requested. */
    int readEecd() {
        int v = eecd & (SK | CS | DI | REQ) | PRES;
        if ((eecd & REQ) != 0) {
            v |= GNT;
        }
        if (dataOut) {
            v |= DO;
        }
        return v;
    }

    void writeEecd(int value) {
        int old = eecd;
        eecd = value;
        if ((value & CS) == 0) {
            command = 0;
            commandBits = 0;
            reading = false;
            dataOut = false;
            return;
        }
        if ((old & SK) != 0 || (value & SK) == 0) {
            return;                                   // act on rising edges of SK only
        }
        if (reading) {
            dataOut = (words[address % WORDS] >> (15 - outBit) & 1) != 0;
            if (++outBit == 16) {
                outBit = 0;
                address = (address + 1) % WORDS;
            }
            return;
        }
        int bit = (value & DI) != 0 ? 1 : 0;
        if (commandBits == 0 && bit == 0) {
            return;                                   // waiting for the start bit
        }
        command = command << 1 | bit;
        commandBits++;
        if (commandBits == 3 + ADDRESS_BITS) {
            int opcode = command >> ADDRESS_BITS & 7;
            if (opcode == 0b110) {
                reading = true;
                address = command & (WORDS - 1);
                outBit = 0;
                dataOut = false;                      // the dummy 0
            }
            // write/erase/enable: ignored (read-only part); wait for CS to fall
        }
    }

    void reset() {
        eecd = 0;
        command = 0;
        commandBits = 0;
        reading = false;
        dataOut = false;
    }
}
