/**
 * Device types, device instances and the context the runtime hands a device.
 */
@Version("1.5.0")
@Export
package org.machina.api.device;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
