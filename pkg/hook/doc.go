// Package hook is promoter's HTTP face. It validates the webhooks Prow's
// hook forwards (HMAC-SHA256, or SHA-1 when that is all that was sent, with
// either of Prow's secret formats), decodes them into promotion requests and
// /promote commands, and answers at once; on a standby replica it hands them
// to the leader. It also serves plugin help, /promotions and health.
//
// It must not do promotion work or call GitHub before answering: the
// webhook is acknowledged first, and everything else runs behind the
// controller's queue (pkg/promoter).
package hook
