//! The sandbox's [`IamportApi`]: every operation with behaviour goes to [`crate::behaviour`]; the
//! others keep the trait's default, the spec's example. Every one honours `Prefer: code=NNN` first
//! (the answer the spec gives as that status's example), so a test can still ask for any declared
//! status.

use iamport_server::types::{AuthAnnotation, AuthResponse, NaverCashAmountResponse};
use iamport_server::{
    AgainResponse, CancelPaymentResponse, ConfirmOtpResponse, CreateVbankResponse,
    CustomerDeleteResponse, CustomerPaymentsResponse, CustomerSaveResponse,
    CustomerSchedulesResponse, CustomerViewMultipleResponse, CustomerViewResponse,
    DeleteCertificationResponse, EditPreparePaymentResponse, EscrowLogisEditResponse,
    EscrowLogisGetResponse, EscrowLogisSaveResponse, FindSchedulesByCustomerResponse,
    FindSchedulesByRangeResponse, GetAllPaymentsByMerchantUidResponse, GetCertificationResponse,
    GetExternalReceiptResponse, GetPaymentByImpUidResponse, GetPaymentByMerchantUidResponse,
    GetPaymentListByImpUidResponse, GetPaymentPrepareByMerchantUidResponse,
    GetPaymentsByStatusResponse, GetReceiptResponse, GetScheduleByMidResponse, GetTokenResponse,
    IamportApi, IssueExternalReceiptResponse, IssueReceiptResponse, ModifyVbankResponse,
    OnetimeResponse, PreparePaymentResponse, QueryCashAmountResponse, RequestContext,
    RequestOtpResponse, RescheduleByMidResponse, RetryScheduleByMidResponse,
    RevokeExternalReceiptResponse, RevokeReceiptResponse, RevokeVbankResponse, ScheduleResponse,
    UnscheduleResponse, UpdateScheduleByMidResponse, inputs,
};

use crate::behaviour::{self, answer, error};
use crate::{NaverAnswer, Sandbox};

/// Answers with the example of the status asked for with `Prefer: code=NNN`, if the operation
/// declares it.
macro_rules! prefer {
    ($context:expr, $resp:ident) => {
        if let Some(preferred) = $context.preferred_status().and_then($resp::example_for) {
            return preferred;
        }
    };
}

/// A value from its builder. The builders leave out optional fields, so a field the spec adds as
/// optional needs no change here; `None` (logged) when a required field was not set: the spec
/// gained one that this sandbox does not know yet.
fn built<T, B>(builder: B) -> Option<T>
where
    B: TryInto<T>,
    B::Error: std::fmt::Display,
{
    builder
        .try_into()
        .inspect_err(|e| {
            tracing::error!(
                "the sandbox cannot build {}: {e}",
                std::any::type_name::<T>()
            )
        })
        .ok()
}

impl IamportApi for Sandbox {
    async fn authorize(&self, token: &str) -> bool {
        self.inner.tokens.is_valid(token)
    }

    async fn get_token(
        &self,
        context: RequestContext,
        input: inputs::GetToken,
    ) -> GetTokenResponse {
        prefer!(context, GetTokenResponse);
        let body = input.body;
        let known = self
            .inner
            .secrets
            .get(&body.imp_key)
            .is_some_and(|secret| *secret == body.imp_secret);
        if !known {
            return answer!(
                GetTokenResponse::Unauthorized,
                error("인증에 실패하였습니다. API키와 secret을 확인하세요.")
            );
        }
        let issued = self.inner.tokens.issue(&body.imp_key);
        let annotation = built::<AuthAnnotation, _>(
            AuthAnnotation::builder()
                .access_token(issued.access_token)
                .now(issued.now)
                .expired_at(issued.expired_at),
        );
        annotation
            .and_then(|a| built(AuthResponse::builder().code(0).response(Some(a))))
            .map_or(GetTokenResponse::Unimplemented, GetTokenResponse::Ok)
    }

    async fn query_cash_amount(
        &self,
        context: RequestContext,
        input: inputs::QueryCashAmount,
    ) -> QueryCashAmountResponse {
        prefer!(context, QueryCashAmountResponse);
        match self.inner.naver.get(input.imp_uid.as_str()) {
            None => answer!(
                QueryCashAmountResponse::NotFound,
                error(behaviour::payments::NO_PAYMENT)
            ),
            Some(NaverAnswer::NotNaverPay { pg_provider }) => answer!(
                QueryCashAmountResponse::BadRequest,
                error(&format!(
                    "네이버페이 결제형 거래가 아닙니다. (pg_provider: {pg_provider})"
                ))
            ),
            Some(NaverAnswer::NaverBroken) => answer!(
                QueryCashAmountResponse::InternalServerError,
                error("네이버페이 응답이 올바르지 않습니다.")
            ),
            Some(NaverAnswer::CashAmount(amount)) => built(
                NaverCashAmountResponse::builder()
                    .code(0)
                    .response(Some(amount.clone())),
            )
            .map_or(
                QueryCashAmountResponse::Unimplemented,
                QueryCashAmountResponse::Ok,
            ),
        }
    }

    async fn confirm_otp(
        &self,
        context: RequestContext,
        input: inputs::ConfirmOtp,
    ) -> ConfirmOtpResponse {
        prefer!(context, ConfirmOtpResponse);
        behaviour::certifications::confirm(&self.inner, input)
    }
    async fn request_otp(
        &self,
        context: RequestContext,
        input: inputs::RequestOtp,
    ) -> RequestOtpResponse {
        prefer!(context, RequestOtpResponse);
        behaviour::certifications::request(&self.inner, input)
    }
    async fn get_certification(
        &self,
        context: RequestContext,
        input: inputs::GetCertification,
    ) -> GetCertificationResponse {
        prefer!(context, GetCertificationResponse);
        behaviour::certifications::get(&self.inner, input)
    }
    async fn delete_certification(
        &self,
        context: RequestContext,
        input: inputs::DeleteCertification,
    ) -> DeleteCertificationResponse {
        prefer!(context, DeleteCertificationResponse);
        behaviour::certifications::delete(&self.inner, input)
    }
    async fn escrow_logis_get(
        &self,
        context: RequestContext,
        input: inputs::EscrowLogisGet,
    ) -> EscrowLogisGetResponse {
        prefer!(context, EscrowLogisGetResponse);
        behaviour::escrow::get(&self.inner, input)
    }
    async fn escrow_logis_edit(
        &self,
        context: RequestContext,
        input: inputs::EscrowLogisEdit,
    ) -> EscrowLogisEditResponse {
        prefer!(context, EscrowLogisEditResponse);
        behaviour::escrow::edit(&self.inner, input)
    }
    async fn escrow_logis_save(
        &self,
        context: RequestContext,
        input: inputs::EscrowLogisSave,
    ) -> EscrowLogisSaveResponse {
        prefer!(context, EscrowLogisSaveResponse);
        behaviour::escrow::save(&self.inner, input)
    }
    async fn get_payment_list_by_imp_uid(
        &self,
        context: RequestContext,
        input: inputs::GetPaymentListByImpUid,
    ) -> GetPaymentListByImpUidResponse {
        prefer!(context, GetPaymentListByImpUidResponse);
        behaviour::payments::get_list(&self.inner, input)
    }
    async fn cancel_payment(
        &self,
        context: RequestContext,
        input: inputs::CancelPayment,
    ) -> CancelPaymentResponse {
        prefer!(context, CancelPaymentResponse);
        behaviour::payments::cancel(&self.inner, input)
    }
    async fn get_payment_by_merchant_uid(
        &self,
        context: RequestContext,
        input: inputs::GetPaymentByMerchantUid,
    ) -> GetPaymentByMerchantUidResponse {
        prefer!(context, GetPaymentByMerchantUidResponse);
        behaviour::payments::get_by_merchant_uid(&self.inner, input)
    }
    async fn edit_prepare_payment(
        &self,
        context: RequestContext,
        input: inputs::EditPreparePayment,
    ) -> EditPreparePaymentResponse {
        prefer!(context, EditPreparePaymentResponse);
        behaviour::payments::edit_prepare(&self.inner, input)
    }
    async fn prepare_payment(
        &self,
        context: RequestContext,
        input: inputs::PreparePayment,
    ) -> PreparePaymentResponse {
        prefer!(context, PreparePaymentResponse);
        behaviour::payments::prepare(&self.inner, input)
    }
    async fn get_payments_by_status(
        &self,
        context: RequestContext,
        input: inputs::GetPaymentsByStatus,
    ) -> GetPaymentsByStatusResponse {
        prefer!(context, GetPaymentsByStatusResponse);
        behaviour::payments::get_by_status(&self.inner, input)
    }
    async fn get_payment_by_imp_uid(
        &self,
        context: RequestContext,
        input: inputs::GetPaymentByImpUid,
    ) -> GetPaymentByImpUidResponse {
        prefer!(context, GetPaymentByImpUidResponse);
        behaviour::payments::get_by_imp_uid(&self.inner, input)
    }
    async fn get_external_receipt(
        &self,
        context: RequestContext,
        input: inputs::GetExternalReceipt,
    ) -> GetExternalReceiptResponse {
        prefer!(context, GetExternalReceiptResponse);
        behaviour::receipts::get_external(&self.inner, input)
    }
    async fn issue_external_receipt(
        &self,
        context: RequestContext,
        input: inputs::IssueExternalReceipt,
    ) -> IssueExternalReceiptResponse {
        prefer!(context, IssueExternalReceiptResponse);
        behaviour::receipts::issue_external(&self.inner, input)
    }
    async fn revoke_external_receipt(
        &self,
        context: RequestContext,
        input: inputs::RevokeExternalReceipt,
    ) -> RevokeExternalReceiptResponse {
        prefer!(context, RevokeExternalReceiptResponse);
        behaviour::receipts::revoke_external(&self.inner, input)
    }
    async fn get_receipt(
        &self,
        context: RequestContext,
        input: inputs::GetReceipt,
    ) -> GetReceiptResponse {
        prefer!(context, GetReceiptResponse);
        behaviour::receipts::get(&self.inner, input)
    }
    async fn issue_receipt(
        &self,
        context: RequestContext,
        input: inputs::IssueReceipt,
    ) -> IssueReceiptResponse {
        prefer!(context, IssueReceiptResponse);
        behaviour::receipts::issue_for_payment(&self.inner, input)
    }
    async fn revoke_receipt(
        &self,
        context: RequestContext,
        input: inputs::RevokeReceipt,
    ) -> RevokeReceiptResponse {
        prefer!(context, RevokeReceiptResponse);
        behaviour::receipts::revoke_for_payment(&self.inner, input)
    }
    async fn customer_view_multiple(
        &self,
        context: RequestContext,
        input: inputs::CustomerViewMultiple,
    ) -> CustomerViewMultipleResponse {
        prefer!(context, CustomerViewMultipleResponse);
        behaviour::billing::view_multiple(&self.inner, input)
    }
    async fn customer_view(
        &self,
        context: RequestContext,
        input: inputs::CustomerView,
    ) -> CustomerViewResponse {
        prefer!(context, CustomerViewResponse);
        behaviour::billing::view(&self.inner, input)
    }
    async fn customer_save(
        &self,
        context: RequestContext,
        input: inputs::CustomerSave,
    ) -> CustomerSaveResponse {
        prefer!(context, CustomerSaveResponse);
        behaviour::billing::save(&self.inner, input)
    }
    async fn customer_delete(
        &self,
        context: RequestContext,
        input: inputs::CustomerDelete,
    ) -> CustomerDeleteResponse {
        prefer!(context, CustomerDeleteResponse);
        behaviour::billing::delete(&self.inner, input)
    }
    async fn customer_payments(
        &self,
        context: RequestContext,
        input: inputs::CustomerPayments,
    ) -> CustomerPaymentsResponse {
        prefer!(context, CustomerPaymentsResponse);
        behaviour::billing::payments(&self.inner, input)
    }
    async fn customer_schedules(
        &self,
        context: RequestContext,
        input: inputs::CustomerSchedules,
    ) -> CustomerSchedulesResponse {
        prefer!(context, CustomerSchedulesResponse);
        behaviour::billing::customer_schedules(&self.inner, input)
    }
    async fn again(&self, context: RequestContext, input: inputs::Again) -> AgainResponse {
        prefer!(context, AgainResponse);
        behaviour::billing::again(&self.inner, input)
    }
    async fn onetime(&self, context: RequestContext, input: inputs::Onetime) -> OnetimeResponse {
        prefer!(context, OnetimeResponse);
        behaviour::billing::onetime(&self.inner, input)
    }
    async fn find_schedules_by_range(
        &self,
        context: RequestContext,
        input: inputs::FindSchedulesByRange,
    ) -> FindSchedulesByRangeResponse {
        prefer!(context, FindSchedulesByRangeResponse);
        behaviour::billing::find_by_range(&self.inner, input)
    }
    async fn schedule(&self, context: RequestContext, input: inputs::Schedule) -> ScheduleResponse {
        prefer!(context, ScheduleResponse);
        behaviour::billing::schedule(&self.inner, input)
    }
    async fn find_schedules_by_customer(
        &self,
        context: RequestContext,
        input: inputs::FindSchedulesByCustomer,
    ) -> FindSchedulesByCustomerResponse {
        prefer!(context, FindSchedulesByCustomerResponse);
        behaviour::billing::find_by_customer(&self.inner, input)
    }
    async fn get_schedule_by_mid(
        &self,
        context: RequestContext,
        input: inputs::GetScheduleByMid,
    ) -> GetScheduleByMidResponse {
        prefer!(context, GetScheduleByMidResponse);
        behaviour::billing::get_by_mid(&self.inner, input)
    }
    async fn update_schedule_by_mid(
        &self,
        context: RequestContext,
        input: inputs::UpdateScheduleByMid,
    ) -> UpdateScheduleByMidResponse {
        prefer!(context, UpdateScheduleByMidResponse);
        behaviour::billing::update(&self.inner, input)
    }
    async fn reschedule_by_mid(
        &self,
        context: RequestContext,
        input: inputs::RescheduleByMid,
    ) -> RescheduleByMidResponse {
        prefer!(context, RescheduleByMidResponse);
        behaviour::billing::reschedule(&self.inner, input)
    }
    async fn retry_schedule_by_mid(
        &self,
        context: RequestContext,
        input: inputs::RetryScheduleByMid,
    ) -> RetryScheduleByMidResponse {
        prefer!(context, RetryScheduleByMidResponse);
        behaviour::billing::retry(&self.inner, input)
    }
    async fn unschedule(
        &self,
        context: RequestContext,
        input: inputs::Unschedule,
    ) -> UnscheduleResponse {
        prefer!(context, UnscheduleResponse);
        behaviour::billing::unschedule(&self.inner, input)
    }
    async fn create_vbank(
        &self,
        context: RequestContext,
        input: inputs::CreateVbank,
    ) -> CreateVbankResponse {
        prefer!(context, CreateVbankResponse);
        behaviour::vbanks::create(&self.inner, input)
    }
    async fn modify_vbank(
        &self,
        context: RequestContext,
        input: inputs::ModifyVbank,
    ) -> ModifyVbankResponse {
        prefer!(context, ModifyVbankResponse);
        behaviour::vbanks::modify(&self.inner, input)
    }
    async fn revoke_vbank(
        &self,
        context: RequestContext,
        input: inputs::RevokeVbank,
    ) -> RevokeVbankResponse {
        prefer!(context, RevokeVbankResponse);
        behaviour::vbanks::revoke(&self.inner, input)
    }
    async fn get_all_payments_by_merchant_uid(
        &self,
        context: RequestContext,
        input: inputs::GetAllPaymentsByMerchantUid,
    ) -> GetAllPaymentsByMerchantUidResponse {
        prefer!(context, GetAllPaymentsByMerchantUidResponse);
        behaviour::payments::get_all_by_merchant_uid(&self.inner, input)
    }
    async fn get_payment_prepare_by_merchant_uid(
        &self,
        context: RequestContext,
        input: inputs::GetPaymentPrepareByMerchantUid,
    ) -> GetPaymentPrepareByMerchantUidResponse {
        prefer!(context, GetPaymentPrepareByMerchantUidResponse);
        behaviour::payments::get_prepared(&self.inner, input)
    }
}
