/**
 * Monitor commands (QMP) as whiteboard services, and monitor events.
 */
@Version("1.0.0")
@Export
package org.machina.api.monitor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
