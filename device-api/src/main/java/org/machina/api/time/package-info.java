/**
 * Guest time: the virtual clock, deadline timers and the machine executor.
 */
@Version("1.1.0")
@Export
package org.machina.api.time;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
