/** Real provider replies (from test/fixtures/smtp-replies.tsv), as a fake MX or relay gives them. */
export const GMX_IP_BLOCK = {
  code: 554,
  message:
    'gmx.net (mxgmx104) Nemesis ESMTP Service not available\n554-No SMTP service\n554-IP address is block listed.\n554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=198.51.100.42&r=1MNcgj-1ue23t3pyV-00S2YR',
};
export const USER_UNKNOWN = {
  code: 550,
  message: '5.1.1 <max.mustermann@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
};
