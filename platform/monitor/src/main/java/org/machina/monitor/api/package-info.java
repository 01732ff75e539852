/**
 * Starting a QMP monitor for a machine: the runtime or launcher asks the {@link org.machina.monitor.api.MonitorService}
 * for one monitor per machine, on a Unix socket and optionally a loopback TCP port.
 */
@Version("1.0.0")
@Export
package org.machina.monitor.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
