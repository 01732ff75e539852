package org.machina.monitor.commands;

import java.util.LinkedHashMap;
import java.util.Map;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;

/**
 * Base of the {@code x-machina-bundle-*} commands: access to the (optional, dynamic) bundle
 * service and the QMP form of a bundle.
 */
abstract class BundleCommand implements MonitorCommand {
    /** The bundle service, or {@code null} while there is none (each subclass holds its own DS reference). */
    abstract BundleService bundleService();

    BundleService bundles() throws MonitorException {
        BundleService b = bundleService();
        if (b == null) {
            throw Args.error("bundle management is not available: no BundleService (is the Machina runtime running?)");
        }
        return b;
    }

    static Map<String, Object> toQmp(BundleInfo b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", b.id());
        m.put("symbolic-name", b.symbolicName());
        m.put("version", b.version());
        m.put("state", b.state());
        m.put("provides", b.provides());
        m.put("source", b.source());
        return m;
    }
}
