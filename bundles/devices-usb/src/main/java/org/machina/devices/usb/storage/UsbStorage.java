package org.machina.devices.usb.storage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.machina.api.block.BlockNode;
import org.machina.api.bus.usb.UsbBus;
import org.machina.api.bus.usb.UsbDescriptors;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbPort;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.state.Stateful;
import org.machina.devices.usb.core.UsbFunction;

/**
 * A high-speed USB mass storage device, Bulk-Only Transport (USB Mass Storage Class Bulk-Only
 * Transport 1.0) with the SCSI transparent command set ({@link ScsiDisk}), one LUN.
 *
 * <pre>
 * interface 0: class 08 (mass storage), subclass 06 (SCSI), protocol 50 (bulk-only)
 *   endpoint 0x81 bulk IN  512 bytes
 *   endpoint 0x02 bulk OUT 512 bytes
 * class requests: Bulk-Only Mass Storage Reset (FFh), Get Max LUN (FEh, answers 0)
 * </pre>
 *
 * A command is a 31-byte CBW on the OUT endpoint, then the data phase, then a 13-byte CSW on the
 * IN endpoint. When the device has less data than the CBW announced it ends the data phase with a
 * short packet and reports the difference as the CSW residue. An invalid CBW halts both bulk
 * endpoints until a reset recovery (section 5.3.4).
 */
final class UsbStorage extends UsbFunction implements Device, Stateful<UsbStorage.State> {
    /**
     * Version 1 of the state: the chapter 9 state and the bulk-only phase, with the data of a
     * command between its CBW and its CSW (a hot-swap between two transfers loses nothing).
     *
     * @param phase COMMAND, DATA_IN, DATA_OUT or STATUS
     * @param data the data-in still to send, or the data-out collected so far (null for none)
     * @param writeLba the first block of a WRITE being collected, -1 for none
     * @param writeBytes its length in bytes
     */
    record State(int address, int configuration, int halted, Phase phase, int tag, int expected, int moved, byte[] data,
            long writeLba, int writeBytes, int status, int senseKey, int asc) {
    }

    static final int VENDOR = 0x1209;          // pid.codes
    static final int PRODUCT = 0x0001;
    static final int EP_IN = 1;
    static final int EP_OUT = 2;
    static final int CBW_SIGNATURE = 0x43425355;
    static final int CSW_SIGNATURE = 0x53425355;

    enum Phase { COMMAND, DATA_IN, DATA_OUT, STATUS }

    private final DeviceContext ctx;
    private final String busName;
    private final int portNumber;
    private final ScsiDisk disk;
    private final String serial;
    private UsbPort port;

    private Phase phase = Phase.COMMAND;
    private int tag;
    private int expected;       // dCBWDataTransferLength
    private int moved;          // bytes of the data phase so far
    private byte[] data;        // data-in to send or data-out collected
    private ScsiDisk.Result pending;
    private int status;
    private int warnings;

    UsbStorage(DeviceContext ctx, BlockNode drive, String busName, int portNumber, String serial) {
        this.ctx = ctx;
        this.busName = busName;
        this.portNumber = portNumber;
        this.serial = serial;
        this.disk = new ScsiDisk(drive, "Machina", "USB storage", serial);
    }

    // ---- Device ----

    @Override
    public void realize() {
        port = ctx.bus(busName, UsbBus.class).attach(ctx, this, portNumber);
    }

    @Override
    public void reset() {
        busReset();
    }

    @Override
    public void unrealize() {
        if (port != null) {
            port.detach();
            port = null;
        }
    }

    // ---- descriptors ----

    @Override
    public UsbSpeed speed() {
        return UsbSpeed.HIGH;
    }

    @Override
    protected byte[] deviceDescriptor() {
        return UsbDescriptors.device(0x0200, 0, 64, VENDOR, PRODUCT, 0x0100, 1, 2, 3, 1);
    }

    @Override
    protected byte[] configurationDescriptor() {
        return UsbDescriptors.configuration(1, 0, 0x40, 50,
                UsbDescriptors.iface(0, 0, 2, 0x080650, 0),
                UsbDescriptors.endpoint(0x80 | EP_IN, UsbEndpointType.BULK, 512, 0),
                UsbDescriptors.endpoint(EP_OUT, UsbEndpointType.BULK, 512, 0));
    }

    @Override
    protected String string(int index) {
        return switch (index) {
            case 1 -> "Machina";
            case 2 -> "Machina USB storage";
            case 3 -> serial;
            default -> null;
        };
    }

    // ---- bulk-only transport ----

    @Override
    public void busReset() {
        super.busReset();
        recover();
    }

    private void recover() {
        phase = Phase.COMMAND;
        data = null;
        pending = null;
        disk.reset();
    }

    @Override
    protected void classRequest(UsbTransfer t) {
        UsbSetup s = t.setup();
        if (s.type() == UsbSetup.TYPE_CLASS && s.request() == 0xFF && !s.in()) {
            recover();                     // Bulk-Only Mass Storage Reset
            t.complete(UsbStatus.OK, 0);
        } else if (s.type() == UsbSetup.TYPE_CLASS && s.request() == 0xFE && s.in()) {
            reply(t, new byte[] {0});      // Get Max LUN
        } else {
            t.complete(UsbStatus.STALL, 0);
        }
    }

    @Override
    protected void dataTransfer(UsbTransfer t) {
        if (t.endpoint() == EP_OUT && !t.in()) {
            out(t);
        } else if (t.endpoint() == EP_IN && t.in()) {
            in(t);
        } else {
            t.complete(UsbStatus.STALL, 0);
        }
    }

    private void out(UsbTransfer t) {
        byte[] b = t.buffer();
        if (phase == Phase.COMMAND) {
            command(t, b);
            return;
        }
        if (phase != Phase.DATA_OUT) {
            warn("OUT transfer of {} bytes in phase " + phase + "; stalled", b.length);
            t.complete(UsbStatus.STALL, 0);
            return;
        }
        int n = Math.min(b.length, expected - moved);
        if (data != null) {
            System.arraycopy(b, 0, data, moved, Math.min(n, Math.max(0, data.length - moved)));
        }
        moved += n;
        t.complete(UsbStatus.OK, b.length);
        if (moved >= expected) {
            if (pending != null && data != null && pending.dataOut() > 0) {
                status = disk.finishWrite(pending, data);
            }
            phase = Phase.STATUS;
            data = null;
        }
    }

    private void command(UsbTransfer t, byte[] b) {
        ByteBuffer cbw = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length != 31 || cbw.getInt(0) != CBW_SIGNATURE || (b[13] & 0xF) != 0 || (b[14] & 0x1F) < 1
                || (b[14] & 0x1F) > 16) {
            warn("invalid CBW of {} bytes; both bulk endpoints halt until a reset recovery", b.length);
            halt(EP_IN, true);
            halt(EP_OUT, false);
            t.complete(UsbStatus.STALL, 0);
            return;
        }
        t.complete(UsbStatus.OK, 31);
        tag = cbw.getInt(4);
        expected = cbw.getInt(8);
        boolean hostIn = (b[12] & 0x80) != 0;
        byte[] cdb = new byte[16];
        System.arraycopy(b, 15, cdb, 0, b[14] & 0x1F);
        moved = 0;
        if (expected < 0) {
            expected = Integer.MAX_VALUE;
        }
        ScsiDisk.Result r = disk.execute(cdb);
        status = r.status();
        pending = r;
        if (expected == 0) {
            phase = Phase.STATUS;
            if (r.dataOut() > 0 || (r.dataIn() != null && r.dataIn().length > 0 && needsData(cdb[0]))) {
                status = 2;                // phase error: the command needs data the host does not move
            }
            return;
        }
        if (hostIn) {
            data = r.dataIn() == null ? new byte[0] : r.dataIn();
            phase = Phase.DATA_IN;
        } else {
            // OUT data: collected for a write (the host may send more than the command takes; extra is dropped)
            data = r.dataOut() > 0 ? new byte[r.dataOut()] : null;
            if (r.dataOut() > expected) {
                status = 2;
                data = null;
            }
            phase = Phase.DATA_OUT;
        }
    }

    private static boolean needsData(byte opcode) {
        return opcode != 0x03 && opcode != 0x12;   // commands whose data the host may decline (allocation length 0)
    }

    private void in(UsbTransfer t) {
        byte[] b = t.buffer();
        if (phase == Phase.DATA_IN) {
            int left = Math.min(data.length, expected) - moved;
            int n = Math.max(0, Math.min(left, b.length));
            System.arraycopy(data, moved, b, 0, n);
            moved += n;
            t.complete(UsbStatus.OK, n);
            if (n < b.length || moved >= Math.min(data.length, expected)) {
                phase = Phase.STATUS;       // a short packet ends the data phase
                data = null;
            }
            return;
        }
        if (phase == Phase.STATUS) {
            if (b.length < 13) {
                warn("CSW read into {} bytes; stalled", b.length);
                t.complete(UsbStatus.STALL, 0);
                return;
            }
            ByteBuffer csw = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            csw.putInt(0, CSW_SIGNATURE).putInt(4, tag).putInt(8, Math.max(0, expected - moved)).put(12, (byte) status);
            phase = Phase.COMMAND;
            pending = null;
            t.complete(UsbStatus.OK, 13);
            return;
        }
        warn("IN transfer of {} bytes in phase " + phase + "; stalled", b.length);
        t.complete(UsbStatus.STALL, 0);
    }

    @Override
    protected void haltCleared(int endpoint, boolean in) {
        // a host clearing a halt after a stalled data phase goes on to read the CSW; nothing to do
    }

    private void warn(String format, Object arg) {
        if (warnings < 20) {
            warnings++;
            ctx.log().warn("usb-storage '" + ctx.id() + "': " + format, arg);
        }
    }

    // ---- state ----

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public State saveState() {
        boolean write = pending != null && pending.dataOut() > 0;
        return new State(address(), configuration(), haltedMask(), phase, tag, expected, moved, data,
                write ? pending.lba() : -1, write ? pending.dataOut() : 0, status, disk.senseKey(), disk.asc());
    }

    @Override
    public void loadState(State s) {
        restore(s.address(), s.configuration());
        restoreHalted(s.halted());
        phase = s.phase() == null ? Phase.COMMAND : s.phase();
        tag = s.tag();
        expected = s.expected();
        moved = s.moved();
        data = s.data();
        pending = s.writeLba() >= 0 ? new ScsiDisk.Result(ScsiDisk.GOOD, null, s.writeBytes(), s.writeLba()) : null;
        status = s.status();
        disk.restoreSense(s.senseKey(), s.asc());
        if (phase == Phase.DATA_OUT && data != null && (pending == null || data.length != pending.dataOut())) {
            throw new org.machina.api.state.StateException("usb-storage state: " + data.length
                    + " bytes of write data for a write of " + (pending == null ? 0 : pending.dataOut()));
        }
    }
}
