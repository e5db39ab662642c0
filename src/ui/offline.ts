/** Service-worker registration: precaches the app and the default model for offline use. */
import { registerSW } from 'virtual:pwa-register';

export function registerOffline(onReady: () => void): void {
  if (!('serviceWorker' in navigator)) return;
  registerSW({
    immediate: true,
    onOfflineReady: onReady,
    onRegisteredSW(_url, registration) {
      // Already installed on an earlier visit: everything is cached.
      if (registration?.active && navigator.serviceWorker.controller) onReady();
    },
  });
}
