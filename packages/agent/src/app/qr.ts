import QRCode from 'qrcode';

/**
 * An invite code as a QR code a phone camera reads off the organiser's screen: drawn here, in the
 * host, as SVG, and handed to the page as a data: URL for an <img> (the CSP allows data: images and
 * nothing is ever injected as markup). Medium error correction and a quiet zone survive a glare.
 */
export async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
