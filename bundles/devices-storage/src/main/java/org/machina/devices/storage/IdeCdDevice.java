package org.machina.devices.storage;

import org.machina.api.device.DeviceContext;
import org.machina.api.state.Stateful;

/**
 * An {@code ide-cd}: an {@link IdeDriveDevice} whose ATAPI CD-ROM keeps its tray across a
 * hot-swap, snapshot or migration: open or closed, the guest's lock, the medium's presence, and
 * what the guest has not been told yet (a pending UNIT ATTENTION, a media event, the sense data),
 * as {@link AtapiCommands.Tray}, version 1 (before it the device kept no state: a swap closed the
 * tray, unlocked it and put the drive id's image back in even after the monitor's eject).
 */
final class IdeCdDevice extends IdeDriveDevice implements Stateful<AtapiCommands.Tray> {
    private final AtapiCdrom cd;

    IdeCdDevice(DeviceContext ctx, String driveId, AtapiCdrom cd, int channel, int unit) {
        super(ctx, driveId, cd, channel, unit);
        this.cd = cd;
    }

    @Override
    public Class<AtapiCommands.Tray> stateType() {
        return AtapiCommands.Tray.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public AtapiCommands.Tray saveState() {
        return cd.commands.saveTray();
    }

    @Override
    public void loadState(AtapiCommands.Tray state) {
        cd.commands.loadTray(state);
    }
}
