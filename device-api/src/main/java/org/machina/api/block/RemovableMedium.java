package org.machina.api.block;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A drive with a removable medium (a CD-ROM), as the device that emulates it offers it to the
 * runtime ({@link org.machina.api.device.DeviceContext#registerRemovableMedium}) for the monitor's
 * {@code eject} and {@code blockdev-change-medium}. The runtime calls it on the machine thread
 * only. The device tells the guest what happened as its hardware would: a CD-ROM reports the
 * tray and the medium in GET EVENT STATUS NOTIFICATION and a new medium by UNIT ATTENTION.
 *
 * @since 1.3.0
 */
@ConsumerType
public interface RemovableMedium {
    /** Whether the guest has locked the medium in (PREVENT MEDIUM REMOVAL). */
    boolean locked();

    /** Whether the tray is open. */
    boolean trayOpen();

    /** The medium in the drive, or null when there is none. */
    BlockNode medium();

    /**
     * Opens the tray and takes the medium out (the drive reports no medium); the guest's lock is
     * the caller's business (the runtime refuses a locked drive unless forced). Returns the medium
     * taken out, or null when there was none; the caller closes it.
     */
    BlockNode eject();

    /** Puts {@code medium} (read-only) in and closes the tray: the guest sees a new medium. */
    void insert(BlockNode medium);

    /**
     * The monitor asked to eject while the guest holds the medium locked, and did not force it:
     * the device may tell the guest (a CD-ROM reports an "eject request" event), which may unlock.
     */
    default void ejectRequested() {
    }
}
