/**
 * Versioned device state for hot-swap, snapshots and migration.
 */
@Version("1.1.0")
@Export
package org.machina.api.state;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
