import { describeReason } from '../reasons';
import { byId } from './dom';

const RESYNC_NOTICE_MS = 6000;

/**
 * Says honestly whether the page is live: a pill in the header, a banner
 * while the connection is down, and a short note after a rejoin telling how
 * many missed messages were fetched.
 */
export class ConnectionStatus {
  private readonly pill = byId('connection-state');
  private readonly banner = byId('connection-banner');
  private readonly bannerDetail = byId('connection-banner-detail');
  private readonly resync = byId('resync-notice');
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;

  idle(): void {
    this.setPill('idle', 'Not connected');
    this.banner.hidden = true;
    this.hideResync();
  }

  connecting(): void {
    this.setPill('connecting', 'Connecting…');
  }

  live(): void {
    this.setPill('live', 'Live');
    this.banner.hidden = true;
  }

  lost(reason: string | null): void {
    this.setPill('reconnecting', 'Reconnecting…');
    this.hideResync();
    this.bannerDetail.textContent = reason && reason !== 'timeout' ? describeReason(reason) : '';
    this.banner.hidden = false;
  }

  resynced(missed: number, complete: boolean): void {
    const what = missed === 0 ? 'No messages were missed.' : missed === 1 ? '1 missed message loaded.' : `${missed} missed messages loaded.`;
    this.resync.textContent = complete ? `Back online. ${what}` : `Back online. ${what} Loading the rest…`;
    this.resync.dataset.missed = String(missed);
    this.resync.hidden = false;
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => this.hideResync(), RESYNC_NOTICE_MS);
  }

  private hideResync(): void {
    clearTimeout(this.resyncTimer);
    this.resync.hidden = true;
  }

  private setPill(state: string, text: string): void {
    this.pill.dataset.state = state;
    this.pill.textContent = text;
  }
}
