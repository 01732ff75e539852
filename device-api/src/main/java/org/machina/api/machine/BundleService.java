package org.machina.api.machine;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Installs, updates and removes bundles while machines run. Updating a bundle that provides
 * device types used by running machines hot-swaps those devices: pause, save state, swap,
 * restore, resume; any failure rolls back to the old bundle and state.
 */
@ProviderType
public interface BundleService {
    List<BundleInfo> bundles();

    /** Installs and starts a bundle from a file path or URL. */
    BundleInfo install(String location);

    /** Replaces a bundle (by id or symbolic name) with the jar at {@code location}, hot-swapping its devices. */
    BundleInfo update(String bundle, String location);

    /**
     * Uninstalls a bundle. Refused with an error naming the machine and device when a machine uses
     * one of its types, unless {@code force} (then those devices are removed first).
     */
    void uninstall(String bundle, boolean force);
}
