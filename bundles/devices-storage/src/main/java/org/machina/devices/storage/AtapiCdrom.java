package org.machina.devices.storage;

import org.machina.api.block.BlockNode;
import org.machina.api.block.RemovableMedium;

/**
 * An ATAPI CD-ROM (ATA/ATAPI-6 packet command protocol) over a read-only {@link BlockNode} of
 * 2048-byte blocks. The PACKET command takes a 12-byte command packet by PIO; its data goes to
 * the host by PIO in pieces of at most the byte count limit the host put in LBA mid/high, or by
 * DMA when the PACKET command's features bit 0 asks for it. The SCSI/MMC commands are in
 * {@link AtapiCommands}.
 *
 * <p>Interrupt reason (sector count register): bit 0 CoD, bit 1 IO. Waiting for the packet:
 * CoD=1, IO=0, DRQ, no interrupt. Data to the host: CoD=0, IO=1, DRQ, an interrupt per piece.
 * Completion: CoD=1, IO=1, an interrupt, and on CHECK CONDITION the status ERR bit and the sense
 * key in bits 7:4 of the error register.
 *
 * <p>Its medium is removable ({@link RemovableMedium}, for the monitor's {@code eject} and
 * {@code blockdev-change-medium}); the tray, the lock and what the guest is told are in
 * {@link AtapiCommands}.
 */
final class AtapiCdrom extends IdeDrive implements RemovableMedium {
    static final int PACKET_BYTES = 12;

    final AtapiCommands commands;
    private final byte[] packet = new byte[PACKET_BYTES];
    private boolean receivingPacket;
    private boolean dma;
    private int byteLimit;
    private byte[] data;
    private int dataPos;
    private int dataLength;

    AtapiCdrom(BlockNode node, String serial, String model) {
        super(node, serial, model);
        this.commands = new AtapiCommands(node);
    }

    @Override
    boolean packet() {
        return true;
    }

    @Override
    public boolean locked() {
        return commands.locked();
    }

    @Override
    public boolean trayOpen() {
        return commands.trayOpen();
    }

    @Override
    public BlockNode medium() {
        return commands.medium();
    }

    @Override
    public BlockNode eject() {
        return commands.eject();
    }

    @Override
    public void insert(BlockNode medium) {
        commands.insert(medium);
    }

    @Override
    public void ejectRequested() {
        commands.ejectRequest();
    }

    @Override
    void reset() {
        super.reset();
        receivingPacket = false;
        data = null;
    }

    byte[] identify() {
        int[] w = new int[256];
        w[0] = 0x85C0;                  // ATAPI, CD-ROM, removable, accelerated DRQ, 12-byte packets
        putString(w, 10, 20, serial);
        putString(w, 23, 8, "1.0");
        putString(w, 27, 40, model);
        w[49] = 0x0300;                 // LBA, DMA
        w[53] = 0x0007;
        dmaWords(w);
        w[71] = 30;
        w[72] = 30;
        w[80] = 0x007E;
        w[82] = 0x4010;                 // NOP, PACKET
        w[83] = 0x4000;
        w[84] = 0x4000;
        w[85] = 0x4010;
        w[87] = 0x4000;
        w[93] = 0x4001;
        return identifyBytes(w);
    }

    @Override
    void execute(int command) {
        receivingPacket = false;
        data = null;
        switch (command) {
            case 0xA1 -> {
                byte[] id = identify();
                channel.startPio(this, id, 0, id.length, true, true);
            }
            case 0xA0 -> {
                dma = (channel.features & 1) != 0;
                byteLimit = channel.lbaHigh << 8 | channel.lbaMid;
                receivingPacket = true;
                channel.count = 0x01;    // CoD
                channel.startPio(this, packet, 0, PACKET_BYTES, false, false);
            }
            case 0x08 -> {               // DEVICE RESET: no interrupt
                reset();
                channel.signature(true);
                signaturePending = false;
            }
            case 0xEC -> {               // IDENTIFY DEVICE: refused with the packet signature
                channel.signature(true);
                abort();
            }
            case 0xEF -> setFeatures();
            case 0x90 -> diagnose();
            case 0xE0, 0xE1, 0xE2, 0xE3 -> complete();
            case 0xE5 -> {
                channel.count = 0xFF;
                complete();
            }
            default -> abort();
        }
    }

    @Override
    void pioDone() {
        if (receivingPacket) {
            receivingPacket = false;
            runPacket();
            return;
        }
        if (data != null && dataPos < dataLength) {
            nextPiece();
        } else if (data != null) {
            data = null;
            finish();
        } else {
            status = IdeChannel.DRDY | IdeChannel.DSC;   // IDENTIFY PACKET DEVICE
        }
    }

    private void runPacket() {
        AtapiCommands.Reply reply = commands.run(packet);
        if (!reply.good()) {
            finish();
            return;
        }
        if (reply.length() == 0) {
            finish();
            return;
        }
        data = reply.data();
        dataPos = 0;
        dataLength = reply.length();
        if (dma) {
            channel.dmaRequest(this);
        } else {
            nextPiece();
        }
    }

    /** Offers the next PIO piece of the reply, at most the host's byte count limit. */
    private void nextPiece() {
        int limit = byteLimit == 0 || byteLimit == 0xFFFF ? 0xFFFE : byteLimit & ~1;
        int n = Math.min(limit, dataLength - dataPos);
        int padded = n + (n & 1);
        channel.count = 0x02;        // IO
        channel.lbaMid = padded & 0xFF;
        channel.lbaHigh = padded >> 8;
        int at = dataPos;
        dataPos += n;
        if (at + padded > data.length) {
            byte[] grown = new byte[at + padded];
            System.arraycopy(data, 0, grown, 0, data.length);
            data = grown;
        }
        channel.startPio(this, data, at, padded, true, true);
    }

    @Override
    void dmaRun(IdeBusMaster bm) {
        byte[] d = data;
        data = null;
        if (!bm.toMemory()) {
            channel.warnings.warn("{}", channel.name + ": bus master direction is 'read from memory' for a CD-ROM read");
            commands.setSense(AtapiCommands.ABORTED_COMMAND, 0, 0);
            finish();
            return;
        }
        IdeBusMaster.Result r = bm.transfer(d, dataLength, true);
        if (r == IdeBusMaster.Result.ERROR || r == IdeBusMaster.Result.TABLE_SHORTER) {
            commands.setSense(AtapiCommands.ABORTED_COMMAND, 0, 0);
        }
        finish();
    }

    @Override
    void dmaFailed() {
        data = null;
        commands.setSense(AtapiCommands.ABORTED_COMMAND, 0, 0);
        finish();
    }

    /** Status phase: GOOD, or CHECK CONDITION with the sense key in the error register. */
    private void finish() {
        channel.count = 0x03;        // IO, CoD
        int key = commands.senseKey();
        if (key == 0) {
            complete();
        } else {
            error = key << 4 | (key == AtapiCommands.ILLEGAL_REQUEST || key == AtapiCommands.ABORTED_COMMAND
                    ? ERR_ABRT : 0);
            status = IdeChannel.DRDY | IdeChannel.DSC | IdeChannel.ERR;
            channel.raise(this);
        }
    }
}
