//! Who may do what (issue #15 item 4; ASVS 4.1.3, least privilege): one explicit table from
//! role (with a staff user's power, a service account's scopes) to capabilities. A new role is
//! one more row of [`capabilities`].

use kyosai_domain::UserId;
use serde_json::json;

use crate::review::StaffPower;
use crate::{Actor, App, AppError, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Apply for and maintain one's own contracts (a member).
    OwnContracts,
    /// Enter applications and changes for a member (paper, counter, agency).
    ActForMembers,
    /// Read any member's contracts, details, billing and applications (each read is logged).
    ReadMembers,
    /// Read contracts and registered details (a service scope).
    ReadContracts,
    /// Read contracts' billing (a service scope).
    ReadBilling,
    /// Prepare decisions: edit applications in review.
    Review,
    /// Decide: approve, reject, start billing.
    Decide,
    /// See every API token and revoke any.
    ManageTokens,
}

/// A service account's scope, as given to `kyosai token create --service NAME --scope …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    ContractsRead,
    BillingRead,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::ContractsRead, Scope::BillingRead];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ContractsRead => "contracts:read",
            Scope::BillingRead => "billing:read",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    fn capability(self) -> Capability {
        match self {
            Scope::ContractsRead => Capability::ReadContracts,
            Scope::BillingRead => Capability::ReadBilling,
        }
    }
}

use Capability::*;

const MEMBER: &[Capability] = &[OwnContracts];
const REVIEWER: &[Capability] = &[ActForMembers, ReadMembers, Review];
const APPROVER: &[Capability] = &[ActForMembers, ReadMembers, Review, Decide, ManageTokens];
const DATA_ENTRY: &[Capability] = &[ActForMembers];
const AGENCY: &[Capability] = &[ActForMembers];

/// The table. Staff without a recorded power have none (a staff account is always given one
/// when created); a service account has only what its scopes add.
pub fn capabilities(role: Role, power: Option<StaffPower>) -> &'static [Capability] {
    match (role, power) {
        (Role::Member, _) => MEMBER,
        (Role::Staff, Some(StaffPower::Approver)) => APPROVER,
        (Role::Staff, Some(StaffPower::Reviewer)) => REVIEWER,
        (Role::Staff, None) => &[],
        (Role::DataEntry, _) => DATA_ENTRY,
        (Role::Agency, _) => AGENCY,
        (Role::Service, _) => &[],
    }
}

impl App {
    /// Whether `actor` has `cap` now (staff power and service scopes are read from the store,
    /// so a change applies at once).
    pub async fn can(&self, actor: &Actor, cap: Capability) -> Result<bool, AppError> {
        let mut conn = self.store.read().await?;
        Ok(match actor.role {
            Role::Staff => {
                let power = kyosai_store::users::staff_power(&mut conn, actor.user_id)
                    .await?
                    .as_deref()
                    .and_then(StaffPower::parse);
                capabilities(actor.role, power).contains(&cap)
            }
            Role::Service => kyosai_store::users::service_scopes(&mut conn, actor.user_id)
                .await?
                .split(',')
                .filter_map(Scope::parse)
                .any(|s| s.capability() == cap),
            role => capabilities(role, None).contains(&cap),
        })
    }

    /// Refuses (403) unless `actor` has `cap`.
    pub async fn require(&self, actor: &Actor, cap: Capability) -> Result<(), AppError> {
        if self.can(actor, cap).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden("capability"))
        }
    }

    /// May `actor` read member `member_id`'s data of this kind? The member themself; staff who
    /// read members; a service with the scope. Anyone else gets "not found", so the existence of
    /// another member's contract is not revealed.
    pub(crate) async fn authorize_member_read(
        &self,
        actor: &Actor,
        member_id: UserId,
        scope: Scope,
    ) -> Result<(), AppError> {
        let ok = match actor.role {
            Role::Member => actor.user_id == member_id,
            Role::Service => self.can(actor, scope.capability()).await?,
            _ => self.can(actor, ReadMembers).await?,
        };
        if ok {
            Ok(())
        } else if actor.role == Role::Service {
            Err(AppError::Forbidden("scope"))
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Replaces a service account's scopes (audited).
    pub async fn set_service_scopes(
        &self,
        granted_by: &str,
        user_id: UserId,
        scopes: &[Scope],
    ) -> Result<(), AppError> {
        let text = scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let mut tx = self.store.begin_write().await?;
        let user = kyosai_store::users::by_id(tx.conn(), user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if user.role != Role::Service.as_str() {
            return Err(AppError::conflict(
                "not_service",
                "サービスアカウントではありません。",
            ));
        }
        kyosai_store::users::set_service_scopes(tx.conn(), user_id, &text).await?;
        self.audit(
            tx.conn(),
            granted_by,
            "service.scopes_set",
            &format!("user:{user_id}"),
            None,
            Some(&json!({ "scopes": text })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        assert_eq!(capabilities(Role::Member, None), &[OwnContracts]);
        // Only members hold contracts of their own.
        for role in [Role::Staff, Role::Service, Role::DataEntry, Role::Agency] {
            for power in [None, Some(StaffPower::Reviewer), Some(StaffPower::Approver)] {
                assert!(!capabilities(role, power).contains(&OwnContracts));
            }
        }
        assert!(capabilities(Role::Staff, Some(StaffPower::Approver)).contains(&Decide));
        assert!(!capabilities(Role::Staff, Some(StaffPower::Reviewer)).contains(&Decide));
        assert!(capabilities(Role::Service, None).is_empty());
        assert_eq!(Scope::parse("billing:read"), Some(Scope::BillingRead));
        assert_eq!(Scope::parse("everything"), None);
    }
}
