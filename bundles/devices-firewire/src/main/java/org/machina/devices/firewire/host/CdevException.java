package org.machina.devices.firewire.host;

/** A firewire-cdev file that cannot be used; the message names the file and why. */
public final class CdevException extends Exception {
    public CdevException(String message, Throwable cause) {
        super(message, cause);
    }
}
