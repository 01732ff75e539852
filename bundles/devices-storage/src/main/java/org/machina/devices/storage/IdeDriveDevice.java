package org.machina.devices.storage;

import java.util.function.Function;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;

/**
 * An {@code ide-hd} or {@code ide-cd}: a drive put on the IDE controller's bus
 * ({@link PiixIde#BUS}) when realized, at {@code bus=ide.N} and {@code unit=U} or the first free
 * place, and taken off when unrealized. A CD-ROM offers its medium to the monitor
 * ({@link DeviceContext#registerRemovableMedium}) and keeps its tray across a hot-swap
 * ({@link IdeCdDevice}); a disk has no state of its own (the controller's is in {@link PiixIde}).
 */
class IdeDriveDevice implements Device {
    private final DeviceContext ctx;
    private final String driveId;
    private final IdeDrive drive;
    private final int channel;
    private final int unit;
    private PiixIde controller;

    IdeDriveDevice(DeviceContext ctx, String driveId, IdeDrive drive, int channel, int unit) {
        this.ctx = ctx;
        this.driveId = driveId;
        this.drive = drive;
        this.channel = channel;
        this.unit = unit;
    }

    /** {@code ide.0} -> 0, {@code ide.1} -> 1, empty -> -1 (any). */
    static int channel(String bus, String device) {
        return switch (bus) {
            case "" -> -1;
            case "ide.0" -> 0;
            case "ide.1" -> 1;
            default -> throw new IllegalArgumentException("device '" + device + "': bus=" + bus
                    + " is not an IDE bus; the PIIX IDE controller has ide.0 and ide.1");
        };
    }

    static int unit(long unit, String device) {
        if (unit < -1 || unit > 1) {
            throw new IllegalArgumentException("device '" + device + "': unit=" + unit + " must be 0 (master) or 1 (slave)");
        }
        return (int) unit;
    }

    /** Builds the drive over the named block node. */
    static IdeDriveDevice create(DeviceContext ctx, String drive, String bus, long unit,
            Function<org.machina.api.block.BlockNode, IdeDrive> kind) {
        return new IdeDriveDevice(ctx, drive, kind.apply(ctx.blockdev(drive)), channel(bus, ctx.id()), unit(unit, ctx.id()));
    }

    @Override
    public void realize() {
        controller = ctx.bus(PiixIde.BUS, PiixIde.class);
        String place = controller.attach(ctx.id(), channel, unit, drive);
        if (drive instanceof org.machina.api.block.RemovableMedium medium) {
            // a CD-ROM, for eject and blockdev-change-medium, also by QEMU's name for it (ide1-cd0 for -cdrom)
            ctx.registerRemovableMedium(driveId, medium, "ide" + place.replace(".", "-cd"));
        }
        ctx.log().debug("IDE drive '{}' at {}", ctx.id(), place);
    }

    @Override
    public void reset() {
    }

    @Override
    public void unrealize() {
        if (controller != null) {
            controller.detach(drive);
            controller = null;
        }
    }
}
